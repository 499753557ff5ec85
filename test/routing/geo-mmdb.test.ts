// The .mmdb reader: the bundled CC0 country database answers with countries and network prefix
// lengths; city records (MaxMind and ip-location-db shapes) give coordinates. City databases are
// licensed and large, so those cases use tiny databases written here in the MaxMind DB format.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { Reader, type Response } from 'maxmind'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCidr, parseIp, type IpAddress } from '../../src/routing/geo/ip.js'
import { MmdbGeoDatabase } from '../../src/routing/geo/mmdb.js'
import { createGeoLocator, defaultMmdbFile } from '../../src/routing/geo/locator.js'
import { COUNTRY_POINTS } from '../../src/routing/geo/country-points.js'

function ip(s: string): IpAddress {
  const a = parseIp(s)
  assert.ok(a, s)
  return a
}

test('mmdb: the bundled country database says where big national networks are', () => {
  const db = MmdbGeoDatabase.open(defaultMmdbFile())
  assert.equal(db.info.ipVersion, 6)
  assert.match(db.info.databaseType, /country/)
  // Google DNS, RIPE NCC, WIDE (M-root), NIC.br, University of Tokyo: what this database says.
  const expected: [string, string][] = [
    ['8.8.8.8', 'US'],
    ['193.0.6.139', 'NL'],
    ['202.12.27.33', 'JP'],
    ['200.160.2.3', 'BR'],
    ['133.11.0.1', 'JP'],
    ['2001:4860:4860::8888', 'US'],
    ['::ffff:8.8.8.8', 'US'],
  ]
  for (const [addr, country] of expected) {
    const hit = db.lookup(ip(addr))
    assert.equal(hit?.country, country, addr)
    assert.equal(hit?.point, undefined, 'a country database has no coordinates')
    // IPv4 prefix lengths are counted within IPv4 even though the tree is IPv6.
    const max = ip(addr).family === 4 ? 32 : 128
    assert.ok(hit.prefixLength >= 8 && hit.prefixLength <= max, `${addr} /${hit.prefixLength}`)
  }
})

test('mmdb: a missing or invalid file is an error naming the path', () => {
  assert.throws(() => MmdbGeoDatabase.open('/nonexistent/x.mmdb'), /geo database \/nonexistent\/x\.mmdb: ENOENT/)
  const dir = mkdtempSync(join(tmpdir(), 'geo-mmdb-'))
  const file = join(dir, 'junk.mmdb')
  writeFileSync(file, 'not a database')
  assert.throws(() => MmdbGeoDatabase.open(file), new RegExp(`geo database ${file}: `))
})

test('mmdb: city records give coordinates, in MaxMind and ip-location-db shapes', () => {
  const file = writeMmdb(6, [
    ['81.2.69.0/24', { city: { names: { en: 'London' } }, country: { iso_code: 'GB' }, location: { latitude: 51.5142, longitude: -0.0931 } }],
    ['89.160.20.0/25', { country_code: 'SE', latitude: 58.4167, longitude: 15.6167, city: 'Linköping' }],
    ['2.125.160.0/20', { registered_country: { iso_code: 'GB' } }],
    ['175.16.199.0/24', { country: { iso_code: 'CN' }, location: { latitude: 999, longitude: 0 } }], // bad point ignored
    ['1.0.0.0/24', { continent: { code: 'OC' } }], // nothing usable
    ['2001:db8:1::/48', { country: { iso_code: 'de' }, location: { latitude: 50.1109, longitude: 8.6821 } }],
  ])
  const db = MmdbGeoDatabase.open(file)
  assert.deepEqual(db.lookup(ip('81.2.69.160')), { prefixLength: 24, country: 'GB', point: { lat: 51.5142, lon: -0.0931 } })
  assert.deepEqual(db.lookup(ip('89.160.20.100')), { prefixLength: 25, country: 'SE', point: { lat: 58.4167, lon: 15.6167 } })
  assert.deepEqual(db.lookup(ip('2.125.160.1')), { prefixLength: 20, country: 'GB' })
  assert.deepEqual(db.lookup(ip('175.16.199.1')), { prefixLength: 24, country: 'CN' })
  assert.equal(db.lookup(ip('1.0.0.1')), undefined)
  assert.equal(db.lookup(ip('89.160.20.200')), undefined) // outside the /25
  assert.deepEqual(db.lookup(ip('2001:db8:1:2::3')), { prefixLength: 48, country: 'DE', point: { lat: 50.1109, lon: 8.6821 } })
  assert.deepEqual(db.lookup(ip('::ffff:81.2.69.1')), db.lookup(ip('81.2.69.1')))
})

test('mmdb: an IPv4-only database answers IPv4 and nothing for IPv6', () => {
  const db = MmdbGeoDatabase.open(writeMmdb(4, [['81.2.69.0/24', { country_code: 'GB' }]]))
  assert.equal(db.info.ipVersion, 4)
  assert.deepEqual(db.lookup(ip('81.2.69.1')), { prefixLength: 24, country: 'GB' })
  assert.equal(db.lookup(ip('2001:db8::1')), undefined)
})

test('mmdb: 24, 28 and 32-bit record sizes read alike', () => {
  const networks: [string, { [k: string]: Value }][] = [
    ['81.2.69.0/24', { country_code: 'GB' }],
    ['2a01:4f8::/32', { country_code: 'DE' }],
    ['89.160.20.128/25', { country_code: 'SE' }],
  ]
  for (const size of [24, 28, 32] as const) {
    const db = MmdbGeoDatabase.open(writeMmdb(6, networks, size))
    assert.deepEqual(db.lookup(ip('81.2.69.7')), { prefixLength: 24, country: 'GB' }, `${size}`)
    assert.deepEqual(db.lookup(ip('2a01:4f8:1::1')), { prefixLength: 32, country: 'DE' }, `${size}`)
    assert.deepEqual(db.lookup(ip('89.160.20.200')), { prefixLength: 25, country: 'SE' }, `${size}`)
    assert.equal(db.lookup(ip('89.160.20.1')), undefined, `${size}`)
  }
})

test('mmdb: the tree walk agrees with the maxmind Reader on the bundled database', () => {
  const file = defaultMmdbFile()
  const db = MmdbGeoDatabase.open(file)
  const reader = new Reader<Response>(readFileSync(file))
  let seed = 11
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n)
  for (let i = 0; i < 20_000; i++) {
    const addr = i % 2
      ? `${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`
      : `2${rnd(0x1000).toString(16)}:${rnd(0x10000).toString(16)}:${rnd(0x10000).toString(16)}::${rnd(0x10000).toString(16)}`
    const [record, prefixLength] = reader.getWithPrefixLength(addr)
    const hit = db.lookup(ip(addr))
    const code = (record as { country_code?: string } | null)?.country_code
    assert.deepEqual(hit && [hit.country, hit.prefixLength], code ? [code, prefixLength] : undefined, addr)
  }
})

test('locator over a city database: city point first, else the country point; scope capped at /24 and /56', () => {
  const geo = createGeoLocator({
    mmdbFile: writeMmdb(6, [
      ['81.2.69.160/28', { country: { iso_code: 'GB' }, location: { latitude: 51.5142, longitude: -0.0931 } }],
      ['81.2.70.0/23', { country: { iso_code: 'GB' } }],
      ['2a01:4f8:1:2::/64', { country_code: 'DE' }],
      ['2a01:4f9:2::/48', { country_code: 'ZZ' }], // a code without a point
      ['2001:db8:3::/48', { country_code: 'DE' }], // documentation: never from the database
      ['10.1.0.0/16', { country_code: 'GB' }], // private: never from the database
    ]),
  })
  assert.deepEqual(geo.locate('81.2.69.161'), { ip: '81.2.69.161', source: 'database', prefixLength: 24, country: 'GB', point: { lat: 51.5142, lon: -0.0931 } })
  assert.deepEqual(geo.locate('81.2.70.1'), { ip: '81.2.70.1', source: 'database', prefixLength: 23, country: 'GB', point: COUNTRY_POINTS.GB })
  assert.deepEqual(geo.locate('2a01:4f8:1:2::9'), { ip: '2a01:4f8:1:2::9', source: 'database', prefixLength: 56, country: 'DE', point: COUNTRY_POINTS.DE })
  assert.deepEqual(geo.locate('2A01:4F9:2::1'), { ip: '2a01:4f9:2::1', source: 'database', prefixLength: 48, country: 'ZZ' })
  assert.deepEqual(geo.locate('2001:db8:3::1'), { ip: '2001:db8:3::1', source: 'unknown', prefixLength: 0 })
  assert.deepEqual(geo.locate('10.1.2.3'), { ip: '10.1.2.3', source: 'unknown', prefixLength: 0 })
  assert.deepEqual(geo.locate('81.2.71.255'), { ip: '81.2.71.255', source: 'database', prefixLength: 23, country: 'GB', point: COUNTRY_POINTS.GB })
  assert.deepEqual(geo.locate('81.2.72.0'), { ip: '81.2.72.0', source: 'unknown', prefixLength: 0 })
})

// ---- A minimal MaxMind DB writer: non-overlapping networks, no pointers, short fields. ----

type Value = string | number | { [k: string]: Value } | Value[]

function writeMmdb(ipVersion: 4 | 6, networks: [string, { [k: string]: Value }][], recordSize: 24 | 28 | 32 = 24): string {
  const nodes: [number | Leaf, number | Leaf][] = [[EMPTY, EMPTY]]
  const data: Buffer[] = []
  let dataLen = 0
  for (const [cidr, record] of networks) {
    const { network, prefix } = parseCidr(cidr)
    // IPv4 lives at ::/96 in an IPv6 tree.
    const bytes = ipVersion === 6 && network.family === 4 ? Buffer.concat([Buffer.alloc(12), network.bytes]) : Buffer.from(network.bytes)
    const bits = ipVersion === 6 && network.family === 4 ? prefix + 96 : prefix
    const encoded = encode(record)
    const leaf: Leaf = { offset: dataLen }
    data.push(encoded)
    dataLen += encoded.length
    let node = 0
    for (let i = 0; i < bits; i++) {
      const side = (bytes[i >> 3] >> (7 - (i & 7))) & 1
      if (i === bits - 1) nodes[node][side] = leaf
      else {
        let next = nodes[node][side]
        if (typeof next !== 'number' || next === EMPTY) {
          nodes.push([EMPTY, EMPTY])
          next = nodes.length - 1
          nodes[node][side] = next
        }
        node = next
      }
    }
  }
  const count = nodes.length
  const recordValue = (r: number | Leaf) => (typeof r === 'number' ? (r === EMPTY ? count : r) : count + 16 + r.offset)
  const nodeBytes = recordSize / 4
  const tree = Buffer.alloc(count * nodeBytes)
  nodes.forEach(([l, r], i) => {
    const o = i * nodeBytes
    const [left, right] = [recordValue(l), recordValue(r)]
    if (recordSize === 24) {
      tree.writeUIntBE(left, o, 3)
      tree.writeUIntBE(right, o + 3, 3)
    } else if (recordSize === 32) {
      tree.writeUInt32BE(left, o)
      tree.writeUInt32BE(right, o + 4)
    } else {
      tree.writeUIntBE(left & 0xffffff, o, 3)
      tree[o + 3] = ((left >> 20) & 0xf0) | ((right >> 24) & 0x0f)
      tree.writeUIntBE(right & 0xffffff, o + 4, 3)
    }
  })
  const metadata = encode({
    node_count: count,
    record_size: recordSize,
    ip_version: ipVersion,
    database_type: 'Test-City',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'test' },
  })
  const file = join(mkdtempSync(join(tmpdir(), 'geo-mmdb-')), 'test.mmdb')
  writeFileSync(file, Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]))
  return file
}

interface Leaf { offset: number }
const EMPTY = -1

function encode(v: Value): Buffer {
  if (typeof v === 'string') return withHeader(2, Buffer.from(v, 'utf8'))
  if (Array.isArray(v)) return Buffer.concat([withHeader(11, Buffer.alloc(0), v.length), ...v.map(encode)])
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
      const b = Buffer.alloc(4)
      b.writeUInt32BE(v)
      return withHeader(6, b)
    }
    const b = Buffer.alloc(8)
    b.writeDoubleBE(v)
    return withHeader(3, b)
  }
  const entries = Object.entries(v)
  return Buffer.concat([withHeader(7, Buffer.alloc(0), entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])])
}

/** Control byte(s) for a type with a payload (or, for maps and arrays, an entry count). */
function withHeader(type: number, payload: Buffer, size = payload.length): Buffer {
  assert.ok(size < 29, 'the test writer only does short fields')
  const head = type <= 7 ? [(type << 5) | size] : [size, type - 7]
  return Buffer.concat([Buffer.from(head), payload])
}
