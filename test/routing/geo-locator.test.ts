// The geo locator with the bundled CC0 country database and the demo rules: rules first, then the
// database (country → representative point), else unknown; non-public ranges and malformed input
// are unknown; the query path never throws.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { createGeoLocator } from '../../src/routing/geo/locator.js'
import { COUNTRY_POINTS } from '../../src/routing/geo/country-points.js'
import { parseGeoRules } from '../../src/routing/geo/rules.js'
import { MmdbGeoDatabase } from '../../src/routing/geo/mmdb.js'
import { parseIp } from '../../src/routing/geo/ip.js'

const DEMO = fileURLToPath(new URL('../../examples/geo-rules.yaml', import.meta.url))
const geo = createGeoLocator({ rulesFile: DEMO })

test('locator: rules come first, with the rule prefix as scope', () => {
  assert.deepEqual(geo.locate('198.51.100.7'), {
    ip: '198.51.100.7', source: 'rule', prefixLength: 24, point: { lat: 48.8566, lon: 2.3522 }, region: 'eu-west', country: 'FR',
  })
  assert.equal(geo.locate('203.0.113.1').region, 'ap-northeast')
  assert.equal(geo.locate('192.0.2.200').region, 'us-east')
  assert.equal(geo.locate('100.64.1.1').region, 'eu-central')
  assert.deepEqual(geo.locate('127.0.0.1'), {
    ip: '127.0.0.1', source: 'rule', prefixLength: 8, point: { lat: 48.8566, lon: 2.3522 }, region: 'eu-west', country: 'FR',
  })
  // IPv4-mapped: the IPv4 rule applies and the location names the IPv4 address.
  assert.deepEqual(geo.locate('::ffff:198.51.100.7'), geo.locate('198.51.100.7'))
  assert.equal(geo.info.rules, 6)
})

test('locator: a rule overrides the database for a public network', () => {
  const local = createGeoLocator({ rules: parseGeoRules('- {cidr: 8.8.8.0/24, lat: 37.42, lon: -122.08, region: us-west}') })
  assert.deepEqual(local.locate('8.8.8.8'), { ip: '8.8.8.8', source: 'rule', prefixLength: 24, point: { lat: 37.42, lon: -122.08 }, region: 'us-west' })
  assert.equal(local.locate('8.8.4.4').source, 'database')
})

test('locator: public addresses get the database country and its representative point', () => {
  const expected: [string, string][] = [
    ['8.8.8.8', 'US'],
    ['193.0.6.139', 'NL'],
    ['202.12.27.33', 'JP'],
    ['200.160.2.3', 'BR'],
    ['2001:4860:4860::8888', 'US'],
  ]
  for (const [ip, country] of expected) {
    const loc = geo.locate(ip)
    assert.equal(loc.source, 'database', ip)
    assert.equal(loc.country, country, ip)
    assert.deepEqual(loc.point, COUNTRY_POINTS[country], ip)
    assert.ok(loc.prefixLength >= 8 && loc.prefixLength <= (ip.includes(':') ? 56 : 24), `${ip} /${loc.prefixLength}`)
  }
})

test('locator: the scope never exceeds /24, even where the database network is longer', () => {
  const db = MmdbGeoDatabase.open(geo.info.database!.path)
  // Find a few networks longer than /24 in the database itself rather than hard-coding them.
  let checked = 0
  for (let a = 1; a < 224 && checked < 3; a++) {
    for (let b = 0; b < 256 && checked < 3; b++) {
      const addr = `${a}.${b}.0.1`
      const raw = db.lookup(parseIp(addr)!)
      if (!raw || raw.prefixLength <= 24) continue
      const loc = geo.locate(addr)
      assert.equal(loc.source, 'database')
      assert.equal(loc.prefixLength, 24, addr)
      checked++
    }
  }
  assert.equal(checked, 3)
})

test('locator: loopback, private, link-local, CGNAT and documentation ranges without a rule are unknown', () => {
  const bare = createGeoLocator()
  for (const ip of [
    '127.0.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.254',
    '192.0.2.1', '198.51.100.1', '203.0.113.1', '0.0.0.0', '224.0.0.251', '255.255.255.255', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fe80::1%eth0', 'fd00::1', 'fc12::1', '2001:db8::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1',
  ]) {
    const loc = bare.locate(ip)
    assert.deepEqual([loc.source, loc.prefixLength, loc.point, loc.country], ['unknown', 0, undefined, undefined], ip)
  }
  assert.equal(bare.locate('::ffff:10.0.0.1').ip, '10.0.0.1')
  // Neighbours of the reserved ranges are public and known.
  assert.equal(bare.locate('172.32.0.1').source, 'database')
  assert.equal(bare.locate('100.128.0.1').source, 'database')
  assert.equal(geo.locate('100.64.2.1').source, 'unknown') // the demo places only 100.64.1.0/24
})

test('locator: malformed input is unknown, never an exception', () => {
  for (const bad of ['', 'not-an-ip', '1.2.3', '256.1.1.1', '1.2.3.4/24', '[::1]', '::g', '1::2::3', ' 8.8.8.8', 'x'.repeat(10_000)]) {
    assert.deepEqual(geo.locate(bad), { ip: bad, source: 'unknown', prefixLength: 0 }, bad.slice(0, 20))
  }
  for (const junk of [undefined, null, 42, {}, []]) {
    assert.equal(geo.locate(junk as unknown as string).source, 'unknown')
  }
})

test('locator: no database at all leaves rules only', () => {
  const rulesOnly = createGeoLocator({ rulesFile: DEMO, mmdbFile: null })
  assert.equal(rulesOnly.info.database, undefined)
  assert.equal(rulesOnly.locate('198.51.100.1').source, 'rule')
  assert.deepEqual(rulesOnly.locate('8.8.8.8'), { ip: '8.8.8.8', source: 'unknown', prefixLength: 0 })
})

test('locator: bad configuration fails at construction', () => {
  assert.throws(() => createGeoLocator({ rulesFile: '/nonexistent/rules.yaml' }), /geo rules \/nonexistent\/rules\.yaml/)
  assert.throws(() => createGeoLocator({ mmdbFile: '/nonexistent/db.mmdb' }), /geo database \/nonexistent\/db\.mmdb/)
  const rules = parseGeoRules('- {cidr: 10.0.0.0/8, lat: 1, lon: 1}')
  assert.throws(() => createGeoLocator({ rules: [...rules, ...rules], mmdbFile: null }), /10\.0\.0\.0\/8 is placed twice/)
})

test('locator: every country the database returns for a sample of addresses has a point', () => {
  const missing = new Set<string>()
  let located = 0
  for (let a = 1; a < 224; a++) {
    for (let b = 0; b < 256; b += 3) {
      const loc = geo.locate(`${a}.${b}.${(a * 7 + b) & 255}.1`)
      if (loc.source !== 'database') continue
      located++
      if (!loc.point) missing.add(loc.country ?? '(none)')
    }
  }
  assert.ok(located > 10_000, `only ${located} located`)
  assert.deepEqual([...missing], [])
})
