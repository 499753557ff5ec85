// Client addresses and prefixes (demand by region is counted per /24 or /48), and Host parsing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clientPrefix, expandIPv6, normalizeIp } from '../../src/agent/gateway/client-ip.js'
import { formatHostPort, normalizeHost, parseHostPort } from '../../src/agent/gateway/host.js'

test('normalizeIp folds IPv4-mapped IPv6 and drops zone ids', () => {
  assert.equal(normalizeIp('::ffff:10.1.2.3'), '10.1.2.3')
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1')
  assert.equal(normalizeIp('127.0.0.5'), '127.0.0.5')
  assert.equal(normalizeIp(undefined), '')
})

test('clientPrefix: /24 for IPv4, /48 for IPv6', () => {
  assert.equal(clientPrefix('203.0.113.77'), '203.0.113.0/24')
  assert.equal(clientPrefix('::ffff:198.51.100.9'), '198.51.100.0/24')
  assert.equal(clientPrefix('2001:db8:abcd:12::1'), '2001:db8:abcd::/48')
  assert.equal(clientPrefix('2001:db8::1'), '2001:db8:0::/48')
  assert.equal(clientPrefix('::1'), '0:0:0::/48')
  assert.equal(clientPrefix('not-an-ip'), '')
})

test('expandIPv6 handles compression and embedded IPv4', () => {
  assert.deepEqual(expandIPv6('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
  assert.deepEqual(expandIPv6('::'), [0, 0, 0, 0, 0, 0, 0, 0])
  assert.deepEqual(expandIPv6('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8])
  assert.deepEqual(expandIPv6('64:ff9b::192.0.2.33'), [0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221])
})

test('normalizeHost: case, port, trailing dot, IPv6 literals', () => {
  assert.equal(normalizeHost('Hello.Edge.Test:8080'), 'hello.edge.test')
  assert.equal(normalizeHost('hello.edge.test.'), 'hello.edge.test')
  assert.equal(normalizeHost('[::1]:80'), '[::1]')
  assert.equal(normalizeHost('[::1'), '')
  assert.equal(normalizeHost(''), '')
  assert.equal(normalizeHost(undefined), '')
})

test('parseHostPort and formatHostPort', () => {
  assert.deepEqual(parseHostPort('127.0.31.1:8080'), { host: '127.0.31.1', port: 8080 })
  assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 })
  assert.throws(() => parseHostPort('localhost'), /HOST:PORT/)
  assert.throws(() => parseHostPort('a:99999'), /HOST:PORT/)
  assert.throws(() => parseHostPort(':80'), /HOST:PORT/)
  assert.equal(formatHostPort('::1', 80), '[::1]:80')
})
