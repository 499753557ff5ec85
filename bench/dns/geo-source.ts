// A tiny in-memory DnsAnswerSource for the DNS benchmark, doing per query what PowerDNS's LUA
// `pickclosest()` does: locate the client subnet, then pick the nearest of five sites by great-circle
// distance. Same sites and same client nets as /work/shared/bench-peers/powerdns.sh, so both servers
// give the same answers; other subnets get a synthetic location derived from their address.
import type { DnsAnswerSource, GeoPoint } from '../../src/routing/types.js'

export const SITES: Array<GeoPoint & { address: string }> = [
  { address: '127.0.9.1', lat: 52.37, lon: 4.90 }, // Amsterdam
  { address: '127.0.9.2', lat: 40.71, lon: -74.01 }, // New York
  { address: '127.0.9.3', lat: 1.35, lon: 103.82 }, // Singapore
  { address: '127.0.9.4', lat: -23.55, lon: -46.63 }, // São Paulo
  { address: '127.0.9.5', lat: -33.87, lon: 151.21 }, // Sydney
]

/** Client /24s of the peer's geo database. */
const NETS = new Map<string, GeoPoint>([
  ['127.0.0', { lat: 48.86, lon: 2.35 }], // Paris
  ['192.0.2', { lat: 50.11, lon: 8.68 }], // Frankfurt
  ['198.51.100', { lat: 35.68, lon: 139.69 }], // Tokyo
  ['203.0.113', { lat: 34.05, lon: -118.24 }], // Los Angeles
])

const RAD = Math.PI / 180

function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLon = (b.lon - a.lon) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2
  return 12742 * Math.asin(Math.sqrt(h))
}

/** The rule for the known nets, else a location spread over the globe by the address's /24 bits. */
export function locate(address: string): GeoPoint {
  const net = address.slice(0, address.lastIndexOf('.'))
  const known = NETS.get(net)
  if (known) return known
  let h = 0
  for (let i = 0; i < net.length; i++) h = (Math.imul(h, 31) + net.charCodeAt(i)) >>> 0
  return { lat: (h % 17000) / 100 - 85, lon: ((h >>> 8) % 36000) / 100 - 180 }
}

export function nearestSite(p: GeoPoint): string {
  let best = SITES[0]
  let bestKm = Infinity
  for (const s of SITES) {
    const km = distanceKm(p, s)
    if (km < bestKm) { best = s; bestKm = km }
  }
  return best.address
}

// One answer object per site, built once, as a routing table would hold them.
const BY_SITE = new Map(SITES.map((s) => [s.address, { a: [s.address], aaaa: [] as string[], scopePrefix: 24 }]))
const STATIC = { a: ['127.0.9.1'], aaaa: [] as string[], scopePrefix: 0 }

export const benchGeoSource: DnsAnswerSource = {
  answer(name, client) {
    if (name === 'static.edge.test') return STATIC
    if (name !== 'web.edge.test') return undefined
    return BY_SITE.get(nearestSite(locate(client.address)))
  },
}
