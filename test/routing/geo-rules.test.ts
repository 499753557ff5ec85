// Operator geo rules: strict validation (every error names the entry index and field) and
// longest-prefix lookup over IPv4, IPv6 and IPv4-mapped addresses.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatIp, parseIp, type IpAddress } from '../../src/routing/geo/ip.js'
import { GeoRuleTable, loadGeoRulesFile, parseGeoRules } from '../../src/routing/geo/rules.js'

const DEMO = fileURLToPath(new URL('../../examples/geo-rules.yaml', import.meta.url))

function ip(s: string): IpAddress {
  const a = parseIp(s)
  assert.ok(a, s)
  return a
}

function rejects(yaml: string, ...patterns: RegExp[]): void {
  assert.throws(() => parseGeoRules(yaml, 'rules.yaml'), (err: Error) => {
    assert.match(err.message, /^rules\.yaml: /)
    for (const p of patterns) assert.match(err.message, p)
    return true
  })
}

test('rules: a valid file parses to canonical rules', () => {
  const rules = parseGeoRules(`
- cidr: 198.51.100.0/24
  lat: 48.8566
  lon: 2.3522
  region: eu-west
  country: fr
- {cidr: "2001:DB8::/32", lat: -33, lon: 151}
- {cidr: ::ffff:203.0.113.0/120, lat: 0, lon: 0}
`)
  assert.equal(rules.length, 3)
  assert.deepEqual(
    rules.map((r) => [r.cidr, r.lat, r.lon, r.region, r.country]),
    [
      ['198.51.100.0/24', 48.8566, 2.3522, 'eu-west', 'FR'],
      ['2001:db8::/32', -33, 151, undefined, undefined],
      ['203.0.113.0/24', 0, 0, undefined, undefined],
    ],
  )
  assert.deepEqual(parseGeoRules('[]'), [])
})

test('rules: each error names the entry index and the field', () => {
  rejects('- {cidr: 10.0.0.0/33, lat: 1, lon: 1}', /rules\[0\]\.cidr: .*prefix must be a number from 0 to 32/)
  rejects('- {cidr: 10.0.0.1/8, lat: 1, lon: 1}', /rules\[0\]\.cidr: .*host bits set; the network is 10\.0\.0\.0\/8/)
  rejects('- {cidr: banana/8, lat: 1, lon: 1}', /rules\[0\]\.cidr: "banana" is not an IPv4 or IPv6 address/)
  rejects('- {cidr: 10.0.0.0, lat: 1, lon: 1}', /rules\[0\]\.cidr: .*no \/prefix/)
  rejects('- {lat: 1, lon: 1}', /rules\[0\]\.cidr: required/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1}\n- {cidr: 11.0.0.0/8, lat: 91, lon: 1}', /rules\[1\]\.lat: 91 is out of range -90\.\.90/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: -180.5}', /rules\[0\]\.lon: -180\.5 is out of range -180\.\.180/)
  rejects('- {cidr: 10.0.0.0/8, lat: "48.8", lon: 1}', /rules\[0\]\.lat: "48\.8" is not a number/)
  rejects('- {cidr: 10.0.0.0/8, lat: .nan, lon: 1}', /rules\[0\]\.lat: NaN is not a number/)
  rejects('- {cidr: 10.0.0.0/8, lon: 1}', /rules\[0\]\.lat: required/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1, regoin: eu}', /rules\[0\]\.regoin: unknown field \(allowed: cidr, lat, lon, region, country\)/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1, region: ""}', /rules\[0\]\.region: "" is not a name/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1, country: FRA}', /rules\[0\]\.country: "FRA" is not an ISO 3166-1 alpha-2 code/)
  rejects('- 10.0.0.0/8', /rules\[0\]: expected a mapping/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1}\n- {cidr: 10.0.0.0/8, lat: 2, lon: 2}', /rules\[1\]\.cidr: 10\.0\.0\.0\/8 is already placed by rules\[0\]/)
  // The same network written as IPv4-mapped is a duplicate too.
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lon: 1}\n- {cidr: "::ffff:10.0.0.0/104", lat: 2, lon: 2}', /rules\[1\]\.cidr: .*already placed by rules\[0\]/)
})

test('rules: every problem is reported at once, the file rejected whole', () => {
  rejects(
    '- {cidr: 10.0.0.0/8, lat: 1, lon: 1}\n- {cidr: 10.0.0.0/33, lat: 100, lon: 1}\n- {cidr: 11.0.0.0/8, lat: 1, lon: 1, x: 1}',
    /3 errors:/,
    /rules\[1\]\.cidr/,
    /rules\[1\]\.lat/,
    /rules\[2\]\.x: unknown field/,
  )
})

test('rules: the document itself must be a YAML list', () => {
  rejects('cidr: 10.0.0.0/8\nlat: 1\nlon: 1', /expected a YAML list of rules/)
  rejects('', /expected a YAML list of rules/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1\n', /invalid YAML/)
  rejects('- {cidr: 10.0.0.0/8, lat: 1, lat: 2, lon: 1}', /invalid YAML: .*unique/i)
})

test('rules: a file that cannot be read names its path', () => {
  assert.throws(() => loadGeoRulesFile('/nonexistent/geo.yaml'), /geo rules \/nonexistent\/geo\.yaml: ENOENT/)
  const dir = mkdtempSync(join(tmpdir(), 'geo-rules-'))
  const file = join(dir, 'bad.yaml')
  writeFileSync(file, '- {cidr: 10.0.0.0/8, lat: 1, lon: 999}\n')
  assert.throws(() => loadGeoRulesFile(file), new RegExp(`^Error: geo rules ${file}: rules\\[0\\]\\.lon: 999 is out of range`))
})

test('rules: the longest prefix wins, whatever the order of the rules', () => {
  const rules = parseGeoRules(`
- {cidr: 10.1.2.0/24, lat: 3, lon: 3}
- {cidr: 0.0.0.0/0, lat: 0, lon: 0}
- {cidr: 10.0.0.0/8, lat: 1, lon: 1}
- {cidr: 10.1.0.0/16, lat: 2, lon: 2}
- {cidr: 10.1.2.3/32, lat: 4, lon: 4}
`)
  const table = new GeoRuleTable(rules)
  const at = (s: string) => table.match(ip(s))?.lat
  assert.equal(at('10.1.2.3'), 4)
  assert.equal(at('10.1.2.4'), 3)
  assert.equal(at('10.1.3.1'), 2)
  assert.equal(at('10.2.0.1'), 1)
  assert.equal(at('11.0.0.1'), 0)
  assert.equal(table.match(ip('10.1.2.4'))?.cidr, '10.1.2.0/24')
})

test('rules: IPv4, IPv6 and IPv4-mapped addresses each find their family', () => {
  const table = new GeoRuleTable(parseGeoRules(`
- {cidr: 198.51.100.0/24, lat: 1, lon: 1}
- {cidr: "2001:db8::/32", lat: 2, lon: 2}
- {cidr: "2001:db8:1::/48", lat: 3, lon: 3}
- {cidr: "::/0", lat: 6, lon: 6}
`))
  const at = (s: string) => table.match(ip(s))?.lat
  assert.equal(at('198.51.100.9'), 1)
  assert.equal(at('::ffff:198.51.100.9'), 1) // mapped: IPv4, not the ::/0 rule
  assert.equal(at('::ffff:c633:6409'), 1)
  assert.equal(at('198.51.101.9'), undefined) // an IPv6 ::/0 does not cover IPv4
  assert.equal(at('2001:db8::1'), 2)
  assert.equal(at('2001:db8:1:ffff::1'), 3)
  assert.equal(at('2001:db9::1'), 6)
})

test('rules: lookup agrees with a brute-force scan over many random rules', () => {
  let seed = 7
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000)
  const lines: string[] = []
  const seen = new Set<string>()
  while (lines.length < 3000) {
    const prefix = 8 + Math.floor(rnd() * 25)
    const bytes = Uint8Array.from([10, rnd() * 16, rnd() * 16, rnd() * 256]) // within 10/8: many overlaps
    for (let i = prefix; i < 32; i++) bytes[i >> 3] &= ~(0x80 >> (i & 7))
    const cidr = `${formatIp({ family: 4, bytes })}/${prefix}`
    if (seen.has(cidr)) continue
    seen.add(cidr)
    lines.push(`- {cidr: ${cidr}, lat: ${lines.length % 90}, lon: 0}`)
  }
  const rules = parseGeoRules(lines.join('\n'))
  const table = new GeoRuleTable(rules)
  const toNum = (b: Uint8Array) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0
  for (let n = 0; n < 2000; n++) {
    const addr = Uint8Array.from([10, rnd() * 16, rnd() * 16, rnd() * 256])
    let best: (typeof rules)[number] | undefined
    for (const r of rules) {
      const mask = r.network.prefix === 0 ? 0 : (0xffffffff << (32 - r.network.prefix)) >>> 0
      if (((toNum(addr) & mask) >>> 0) === toNum(r.network.network.bytes) && (!best || r.network.prefix > best.network.prefix)) best = r
    }
    assert.equal(table.match({ family: 4, bytes: addr })?.cidr, best?.cidr, formatIp({ family: 4, bytes: addr }))
  }
})

test('rules: the demo rules file is valid and places the documentation ranges', () => {
  const table = new GeoRuleTable(loadGeoRulesFile(DEMO))
  const at = (s: string) => {
    const r = table.match(ip(s))
    return r && [r.region, r.lat, r.lon]
  }
  assert.deepEqual(at('198.51.100.10'), ['eu-west', 48.8566, 2.3522])
  assert.deepEqual(at('203.0.113.10'), ['ap-northeast', 35.6762, 139.6503])
  assert.deepEqual(at('192.0.2.10'), ['us-east', 40.7128, -74.006])
  assert.deepEqual(at('100.64.1.10'), ['eu-central', 50.1109, 8.6821])
  assert.deepEqual(at('127.0.0.1'), ['eu-west', 48.8566, 2.3522])
  assert.deepEqual(at('::1'), ['eu-west', 48.8566, 2.3522])
  assert.equal(at('100.64.2.10'), undefined)
})
