// The request header scan (routing facts + upstream headers without hop-by-hop ones), response
// header stripping, and limit validation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { responseHeaders, scanRequestHead } from '../../src/agent/gateway/headers.js'
import { DEFAULT_LIMITS, resolveLimits } from '../../src/agent/gateway/options.js'

test('scanRequestHead picks routing facts and drops hop-by-hop headers', () => {
  const h = scanRequestHead([
    'Host', 'App.Test:8080', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5',
    'Content-Length', '12', 'X-Forwarded-For', '10.0.0.1', 'x-edgeplane-hops', '1', 'X-Edgeplane-Overflow-From', 'a',
    'Expect', '100-continue', 'TE', 'trailers', 'Accept', '*/*', 'Proxy-Authorization', 'x', 'Upgrade', 'h2c',
  ])
  assert.equal(h.host, 'App.Test:8080')
  assert.equal(h.contentLength, 12)
  assert.equal(h.chunked, false)
  assert.equal(h.hops, '1')
  assert.equal(h.overflowFrom, 'a')
  assert.equal(h.forwardedFor, '10.0.0.1')
  assert.deepEqual(h.base, ['Host', 'App.Test:8080', 'Content-Length', '12', 'Accept', '*/*'])
})

test('scanRequestHead: duplicates, chunked, malformed length, upgrade kept for WebSocket', () => {
  const h = scanRequestHead(['host', 'a', 'host', 'b', 'transfer-encoding', 'chunked', 'x-forwarded-for', '1.1.1.1', 'x-forwarded-for', '2.2.2.2'])
  assert.equal(h.host, 'a')
  assert.equal(h.chunked, true)
  assert.equal(h.forwardedFor, '1.1.1.1, 2.2.2.2')
  assert.deepEqual(h.base, ['host', 'a'])
  assert.ok(Number.isNaN(scanRequestHead(['content-length', '1x']).contentLength))
  assert.equal(scanRequestHead([]).contentLength, -1)
  const ws = scanRequestHead(['Host', 'w', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], true)
  assert.equal(ws.upgrade, 'websocket')
  assert.deepEqual(ws.base, ['Host', 'w', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'])
})

test('responseHeaders drops hop-by-hop and Connection-named headers, and sets the serving site', () => {
  const raw = ['Connection', 'X-Internal', 'X-Internal', '1', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Content-Type', 'text/plain',
    'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Edgeplane-Site', 'spoofed', 'TE', 'x', 'Trailer', 'y', 'Upgrade', 'z', 'Proxy-Connection', 'p'].map((s) => Buffer.from(s, 'latin1'))
  assert.deepEqual(responseHeaders(raw, 'alpha'), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'x-edgeplane-site', 'alpha'])
  assert.deepEqual(responseHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Edgeplane-Site', 'spoofed'],
    'a response forwarded from another gateway keeps the site that served it')
  assert.deepEqual(responseHeaders([Buffer.from('connection'), Buffer.from('keep-alive'), Buffer.from('x-a'), Buffer.from('é', 'latin1')]), ['x-a', 'é'])
})

test('resolveLimits fills defaults and names the bad field', () => {
  assert.deepEqual(resolveLimits(), { ...DEFAULT_LIMITS })
  assert.equal(resolveLimits({ maxHops: 5, ratePerSecond: undefined }).maxHops, 5)
  assert.equal(resolveLimits({ maxHops: 5, ratePerSecond: undefined }).ratePerSecond, DEFAULT_LIMITS.ratePerSecond)
  assert.throws(() => resolveLimits({ maxBodyBytes: -1 }), /limits\.maxBodyBytes/)
  assert.throws(() => resolveLimits({ maxInflightPerEndpoint: 0 }), /limits\.maxInflightPerEndpoint must be > 0/)
  assert.throws(() => resolveLimits({ headerTimeoutMs: 5000, requestTimeoutMs: 1000 }), /requestTimeoutMs/)
  assert.throws(() => resolveLimits({ ratePerSecond: 5, rateBurst: 0 }), /rateBurst/)
})
