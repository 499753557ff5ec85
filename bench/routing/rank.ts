// What one routing answer costs at fleet scale, in process: the route look-up (every site ranked,
// with reasons: `GET /v1/route`) against a DNS answer (the first k sites from the host's fallback
// index: `RoutingTable.best`), for one host served by every one of --sites sites spread over the globe.
//   npx tsx bench/routing/rank.ts [--sites 10000] [--k 2]
import { cpus, loadavg } from 'node:os'
import { ManualClock } from '../../src/lib/clock.js'
import type { SiteCandidate } from '../../src/routing/policy.js'
import { RoutingTable, type RoutingTableOptions } from '../../src/routing/table.js'
import type { GeoLocator } from '../../src/routing/types.js'

const argv = process.argv.slice(2)
const num = (name: string, def: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def }
const SITES = num('sites', 10_000)
const K = num('k', 2)

const candidates: SiteCandidate[] = Array.from({ length: SITES }, (_, i) => ({
  site: `site-${String(i).padStart(5, '0')}`, region: 'eu-west', provider: 'own',
  geo: { lat: -60 + ((i * 7919) % 120), lon: -180 + ((i * 104729) % 360) },
  gateways: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8443`], ready: 1, saturated: false, load: 0,
}))
// Clients all over the world, one per /24, located by the address itself.
const geo: GeoLocator = { locate: (ip) => { const [, a, b] = ip.split('.').map(Number); return { ip, source: 'rule', prefixLength: 24, point: { lat: (a % 150) - 75, lon: ((b * 3) % 360) - 180 } } } }
const table = new RoutingTable({ geo, clock: new ManualClock() } as unknown as RoutingTableOptions)
// The table's host entry as a rebuild makes it (the caches are not needed to measure the answers).
table['hosts'] = new Map([['web.edge.test', { app: 'default/web', port: 'http', candidates, endpoints: new Map() }]])
const ipOf = (i: number) => `10.${i % 150}.${(i * 7) % 120}.1`

function perCall(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(20, n); i++) fn(i)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn(i)
  return ((performance.now() - t0) / n) * 1000
}
const routeUs = perCall(50, (i) => table.routeIp('web.edge.test', ipOf(i), { remember: true }))
const bestUs = perCall(20_000, (i) => table.best('web.edge.test', ipOf(i), K, { remember: true }))
console.log(`${SITES} sites: route look-up (every site ranked) ${(routeUs / 1000).toFixed(1)} ms per call; DNS answer (first ${K}) ${bestUs.toFixed(0)} µs per call`)
console.log(JSON.stringify({ bench: 'routing-rank', sites: SITES, k: K, cpus: cpus().length, loadavg: +loadavg()[0].toFixed(2), routeMs: +(routeUs / 1000).toFixed(2), bestUs: Math.round(bestUs) }))
