// IP and CIDR parsing: strict on input (malformed text is "not an address", never a wrong one),
// IPv4-mapped IPv6 folded into IPv4, canonical output.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isIP } from 'node:net'
import { formatCidr, formatIp, parseCidr, parseIp } from '../../src/routing/geo/ip.js'

test('ip: IPv4 and IPv6 parse to their bytes and print canonically', () => {
  assert.deepEqual(parseIp('192.0.2.1'), { family: 4, bytes: Uint8Array.from([192, 0, 2, 1]) })
  const cases: [string, string][] = [
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs is compressed
    ['2001:0db8:0000:0001:0000:0000:0000:0000', '2001:db8:0:1::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'], // a single zero group is not compressed
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['fe80::1%eth0', 'fe80::1'],
  ]
  for (const [input, out] of cases) {
    const ip = parseIp(input)
    assert.ok(ip, input)
    assert.equal(formatIp(ip), out, input)
  }
})

test('ip: IPv4-mapped IPv6 is IPv4, in either spelling', () => {
  for (const s of ['::ffff:1.2.3.4', '::FFFF:102:304', '0:0:0:0:0:ffff:1.2.3.4']) {
    assert.deepEqual(parseIp(s), { family: 4, bytes: Uint8Array.from([1, 2, 3, 4]) }, s)
  }
  assert.equal(parseIp('::1.2.3.4')?.family, 6) // IPv4-compatible (deprecated) is not mapped
})

test('ip: malformed text is not an address', () => {
  const bad = [
    '', ' ', '1.2.3', '1.2.3.4.5', '1.2.3.256', '01.2.3.4', '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4', '1..2.3', '0x1.2.3.4',
    ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', ':1::', '1::2:', '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:1.2.3.4:8', '::ffff:1.2.3', '1.2.3.4::', 'fe80::1%', 'fe80::1%e th0', '[::1]', 'localhost', 'a'.repeat(100),
  ]
  for (const s of bad) assert.equal(parseIp(s), undefined, JSON.stringify(s))
  assert.equal(parseIp(undefined as unknown as string), undefined)
  assert.equal(parseIp(42 as unknown as string), undefined)
})

test('cidr: networks parse; mapped CIDRs become IPv4; errors say what is wrong', () => {
  assert.equal(formatCidr(parseCidr('10.0.0.0/8')), '10.0.0.0/8')
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0')
  assert.equal(formatCidr(parseCidr('2001:DB8::/32')), '2001:db8::/32')
  assert.equal(formatCidr(parseCidr('::ffff:198.51.100.0/120')), '198.51.100.0/24')
  assert.throws(() => parseCidr('10.0.0.1/8'), /host bits set; the network is 10\.0\.0\.0\/8/)
  assert.throws(() => parseCidr('10.0.0.0'), /no \/prefix/)
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix must be a number from 0 to 32/)
  assert.throws(() => parseCidr('2001:db8::/129'), /from 0 to 128/)
  assert.throws(() => parseCidr('10.0.0.0/08'), /prefix must be/)
  assert.throws(() => parseCidr('10.0.0.0/'), /prefix must be/)
  assert.throws(() => parseCidr('10.0.0/8'), /not an IPv4 or IPv6 address/)
  assert.throws(() => parseCidr('::ffff:0.0.0.0/64'), /at least \/96/)
  assert.throws(() => parseCidr('fe80::%eth0/64'), /zone id/)
})

test('ip: agrees with node:net on validity and with the URL parser on IPv6 canonical form', () => {
  let seed = 5
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n)
  const hex = () => rnd(4) === 0 ? '0' : rnd(0x10000).toString(16)
  const samples: string[] = []
  for (let i = 0; i < 3000; i++) {
    const groups = Array.from({ length: 8 }, hex)
    let s = groups.join(':')
    if (rnd(2)) {
      const at = rnd(8)
      const len = 1 + rnd(8 - at)
      s = `${groups.slice(0, at).join(':')}::${groups.slice(at + len).join(':')}`
    }
    if (rnd(4) === 0) s = s.replace(/:[^:]*:[^:]*$/, `:${rnd(256)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`)
    if (rnd(5) === 0) s = `${rnd(300)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`
    if (rnd(3) === 0) {
      // Mutate: drop, insert or double a character.
      const at = rnd(s.length + 1)
      const ch = ':.0fg'[rnd(5)]
      s = [s.slice(0, at) + s.slice(at + 1), s.slice(0, at) + ch + s.slice(at), s.slice(0, at) + s[at] + s.slice(at)][rnd(3)]
    }
    samples.push(s)
  }
  let valid6 = 0
  let invalid = 0
  for (const s of samples) {
    const ip = parseIp(s)
    assert.equal(ip !== undefined, isIP(s) !== 0, s)
    if (!ip) invalid++
    if (ip?.family === 6) {
      valid6++
      assert.equal(formatIp(ip), new URL(`http://[${s}]/`).hostname.slice(1, -1), s)
    }
  }
  assert.ok(valid6 > 1000 && invalid > 300, `${valid6} valid IPv6, ${invalid} invalid`)
})
