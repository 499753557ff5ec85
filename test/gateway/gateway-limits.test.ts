// L7 protection end to end: per-IP rate limit and connection cap, header and body size limits,
// header and request timeouts. Every refusal has a clear body and never reaches the instance.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ManualClock } from '../../src/lib/clock.js'
import { StaticGatewayTable } from '../../src/agent/gateway/static-table.js'
import type { GatewayRoute } from '../../src/agent/gateway/types.js'
import { decodePeerGrant, type PeerIdentity } from '../../src/agent/gateway/peer-proof.js'
import { PeerGrants } from '../../src/server/link/peer-grants.js'
import { get, openIdle, raw, route, startBackend, startGateway } from './helpers.js'

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
const jsonOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))

test('a flood from one client IP gets 429 with Retry-After while another client is served', async (t) => {
  const clock = new ManualClock()
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', clock, limits: { ratePerSecond: 5, rateBurst: 5 }, routes: [route('app.test', [b1])] })
  const flood = await Promise.all(Array.from({ length: 20 }, () => get(gw.address(), 'app.test', '/', { localAddress: '127.0.0.5' })))
  const ok = flood.filter((r) => r.status === 200).length
  const limited = flood.filter((r) => r.status === 429)
  assert.equal(ok, 5, 'the burst passes')
  assert.equal(limited.length, 15)
  assert.equal(limited[0].headers['retry-after'], '1')
  const body = JSON.parse(limited[0].body)
  assert.equal(body.error, 'rate_limited')
  assert.match(body.message, /127\.0\.0\.5.*5\/s/)

  const other = await get(gw.address(), 'app.test', '/', { localAddress: '127.0.0.6' })
  assert.equal(other.status, 200, 'another client IP is served')
  assert.equal((await b1.stats()).started, 6, 'refused requests never reached the instance')

  clock.advance(1000)
  assert.equal((await get(gw.address(), 'app.test', '/', { localAddress: '127.0.0.5' })).status, 200, 'served again after the refill')
  const [rep] = gw.drainReports()
  assert.equal(rep.requests, 22)
  assert.equal(rep.rejected, 15)
  assert.deepEqual(rep.byPrefix, { '127.0.0.0/24': 7 }, 'refused requests are not counted as demand')
})

test('per-IP connection cap: the connection beyond it gets 429 and is closed', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { maxConnectionsPerIp: 2 }, routes: [route('app.test', [b1])] })
  const idle = [await openIdle(t, gw.address(), '127.0.0.7'), await openIdle(t, gw.address(), '127.0.0.7')]
  const third = await raw(gw.address(), 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', { localAddress: '127.0.0.7' })
  assert.equal(statusOf(third.text), 429)
  assert.equal(jsonOf(third.text).error, 'too_many_connections')
  assert.match(third.text, /connection: close/i)
  assert.equal((await get(gw.address(), 'app.test', '/', { localAddress: '127.0.0.8' })).status, 200, 'other IPs are unaffected')
  for (const s of idle) s.destroy()
  await new Promise((r) => setTimeout(r, 100))
  assert.equal((await get(gw.address(), 'app.test', '/', { localAddress: '127.0.0.7' })).status, 200, 'served once its connections closed')
  assert.equal((await b1.stats()).started, 2)
})

test('headers beyond the limit get 431 with a body, and never reach the instance', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { maxHeaderBytes: 4096 }, routes: [route('app.test', [b1])] })
  const r = await raw(gw.address(), `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`)
  assert.equal(statusOf(r.text), 431)
  assert.equal(jsonOf(r.text).error, 'headers_too_large')
  assert.match(jsonOf(r.text).message, /4096 bytes/)
  assert.equal((await b1.stats()).started, 0)
  assert.equal(gw.metrics().rejected.headerSize, 1)
  assert.equal((await get(gw.address(), 'app.test', '/', { headers: { 'x-small': 'a'.repeat(1000) } })).status, 200)
})

test('a body beyond the limit gets 413 (Content-Length up front, chunked as it streams)', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { maxBodyBytes: 1024 }, routes: [route('app.test', [b1])] })
  const declared = await get(gw.address(), 'app.test', '/up', { method: 'POST', body: 'x'.repeat(4096) })
  assert.equal(declared.status, 413)
  assert.equal(JSON.parse(declared.body).error, 'body_too_large')
  assert.equal((await b1.stats()).started, 0, 'a declared oversize body never reaches the instance')

  const streamed = await raw(gw.address(),
    'POST /up HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n' + `400\r\n${'y'.repeat(1024)}\r\n`.repeat(4) + '0\r\n\r\n')
  assert.equal(statusOf(streamed.text), 413)
  assert.equal(jsonOf(streamed.text).error, 'body_too_large')
  assert.equal((await b1.stats()).completed, 0, 'the instance never got a complete oversize request (its upstream request was aborted)')

  const fits = await get(gw.address(), 'app.test', '/up', { method: 'POST', body: 'z'.repeat(1024), chunked: true })
  assert.equal(fits.status, 200)
  assert.equal(JSON.parse(fits.body).bodyBytes, 1024)
  const [rep] = gw.drainReports()
  assert.equal(rep.rejected, 2)
})

test('Expect: 100-continue — an oversize body is refused before the client sends it; a fitting one gets 100 first', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { maxBodyBytes: 1024 }, routes: [route('app.test', [b1])] })
  const refused = await raw(gw.address(), 'POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n')
  assert.equal(statusOf(refused.text), 413, 'the first answer is the 413, no 100 Continue')
  const ok = await raw(gw.address(), 'POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nhello')
  assert.match(ok.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
  assert.match(ok.text, /"bodyBytes":5/)
  assert.equal((await b1.stats()).started, 1)
})

test('slowloris: headers not complete within the header timeout get 408 and the socket closes', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { headerTimeoutMs: 400, requestTimeoutMs: 5000 }, routes: [route('app.test', [b1])] })
  const r = await raw(gw.address(), 'GET / HTTP/1.1\r\nHost: app.test\r\nX-Partial: aaa', { timeoutMs: 4000 })
  assert.equal(statusOf(r.text), 408)
  assert.equal(jsonOf(r.text).error, 'request_timeout')
  assert.ok(r.closedAfterMs < 2500, `closed after ${r.closedAfterMs} ms`)
  assert.equal((await b1.stats()).started, 0)
  assert.equal(gw.metrics().rejected.timeout, 1)
})

test('a body that stalls past the request timeout gets 408', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', limits: { headerTimeoutMs: 300, requestTimeoutMs: 600 }, routes: [route('app.test', [b1])] })
  const r = await raw(gw.address(), 'POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100\r\n\r\n0123456789', { timeoutMs: 4000 })
  assert.equal(statusOf(r.text), 408)
  assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`)
  assert.equal((await b1.stats()).completed, 0)
})

test('a trusted peer gateway is exempt from per-IP limits and its x-forwarded-for counts as demand', async (t) => {
  const b1 = await startBackend(t, 'b1', '127.0.32.1')
  const { gw: gwB } = await startGateway(t, {
    site: 'beta', host: '127.0.32.1', clock: new ManualClock(),
    limits: { ratePerSecond: 1, rateBurst: 1, trustedPeers: ['127.0.0.1'] }, routes: [route('app.test', [b1])],
  })
  const { gw: gwA } = await startGateway(t, { site: 'alpha', host: '127.0.31.1', routes: [route('app.test', [], [{ site: 'beta', gateway: gwB.address() }])] })
  for (let i = 0; i < 5; i++) {
    const r = await get(gwA.address(), 'app.test', '/', { localAddress: '127.0.5.5' })
    assert.equal(r.status, 200, `overflowed request ${i} is not rate-limited at the peer`)
  }
  const [rep] = gwB.drainReports()
  assert.deepEqual(rep.byPrefix, { '127.0.5.0/24': 5 })
  assert.equal((await get(gwB.address(), 'app.test', '/', { localAddress: '127.0.0.9' })).status, 200)
  assert.equal((await get(gwB.address(), 'app.test', '/', { localAddress: '127.0.0.9' })).status, 429, 'ordinary clients are limited')
})

/** A table that holds a peer identity, as the agent's does once the server sent it. */
class KeyedTable extends StaticGatewayTable {
  constructor(routes: GatewayRoute[], private id: PeerIdentity) { super(routes) }
  peerIdentity(): PeerIdentity { return this.id }
}

test('a forward proven with a gateway certificate from the fleet key is exempt from per-IP limits, by proof not by address; a forged or foreign proof is not', async (t) => {
  const clock = new ManualClock(Date.now())
  const fleet = new PeerGrants(randomBytes(32), clock)
  const key = (node: string) => decodePeerGrant(JSON.parse(fleet.issue(node).json))!
  const b1 = await startBackend(t, 'b1', '127.0.32.1')
  // No trustedPeers: beta knows alpha only by the key.
  const { gw: gwB } = await startGateway(t, {
    site: 'beta', host: '127.0.32.1', clock, limits: { ratePerSecond: 1, rateBurst: 1 }, table: new KeyedTable([route('app.test', [b1])], key('gw-beta')),
  })
  const fallback = [{ site: 'beta', gateway: gwB.address() }]
  const { gw: gwA } = await startGateway(t, { site: 'alpha', host: '127.0.31.1', clock, table: new KeyedTable([route('app.test', [], fallback)], key('gw-alpha')) })
  for (let i = 0; i < 5; i++) {
    const r = await get(gwA.address(), 'app.test', '/', { localAddress: '127.0.5.5' })
    assert.equal(r.status, 200, `overflowed request ${i} is not rate-limited at the peer`)
    const seen = JSON.parse(r.body).headers
    assert.equal(seen['x-edgeplane-peer'], undefined, 'the proof is not passed to instances')
    assert.match(seen['x-forwarded-for'], /^127\.0\.5\.5, /)
  }
  const [rep] = gwB.drainReports()
  assert.deepEqual(rep.byPrefix, { '127.0.5.0/24': 5 }, 'demand is counted where the client is, not where the forwarding gateway is')

  // A gateway with another key (another fleet) is an ordinary client: limited by its address.
  const { gw: gwX } = await startGateway(t, { site: 'x', host: '127.0.33.1', clock, table: new KeyedTable([route('app.test', [], fallback)], decodePeerGrant(JSON.parse(new PeerGrants(randomBytes(32), clock).issue('gw-x').json))!) })
  const codes = []
  for (let i = 0; i < 3; i++) codes.push((await get(gwX.address(), 'app.test', '/', { localAddress: '127.0.6.6' })).status)
  assert.ok(codes.includes(429), `a foreign proof must not lift the limit: ${codes}`)
  // A client that sends a made-up proof and x-forwarded-for is limited too.
  const forged = { 'x-edgeplane-peer': `${Math.floor(clock.now() / 1000)}.${'A'.repeat(86)}.${key('gw-alpha').cert}`, 'x-forwarded-for': '10.9.9.9' }
  const direct = []
  for (let i = 0; i < 3; i++) direct.push((await get(gwB.address(), 'app.test', '/', { localAddress: '127.0.7.7', headers: forged })).status)
  assert.ok(direct.includes(429), `a forged proof must not lift the limit: ${direct}`)
})
