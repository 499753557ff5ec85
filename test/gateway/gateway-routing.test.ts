// End to end on loopback with real instance processes: Host routing, least outstanding requests,
// passive health with retry, unknown hosts, an empty table, and the traffic reports.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SiteGateway, StaticGatewayTable } from '../../src/agent/gateway/index.js'
import { createLogger } from '../../src/lib/log.js'
import { deadAddress, get, route, startBackend, startGateway } from './helpers.js'

test('a request through the gateway reaches a local instance (Host case and port ignored)', async (t) => {
  const b1 = await startBackend(t, 'b1', '127.0.31.1')
  const { gw } = await startGateway(t, { site: 'alpha', host: '127.0.31.1', routes: [route('hello.edge.test', [b1])] })
  const r = await get(gw.address(), 'Hello.Edge.Test:8080', '/greet?x=1', { localAddress: '127.0.0.9' })
  assert.equal(r.status, 200)
  const body = JSON.parse(r.body)
  assert.equal(body.name, 'b1')
  assert.equal(body.path, '/greet?x=1')
  assert.equal(body.headers.host, 'Hello.Edge.Test:8080', 'the Host header is passed on as sent')
  assert.equal(body.headers['x-forwarded-for'], '127.0.0.9', 'the client IP is appended to x-forwarded-for')
  assert.equal(r.headers['x-edgeplane-site'], 'alpha', 'the serving site is named on the response (an instance cannot spoof it)')

  const post = await get(gw.address(), 'hello.edge.test', '/upload', { method: 'POST', body: 'x'.repeat(5000) })
  assert.equal(JSON.parse(post.body).bodyBytes, 5000)
  const chunked = await get(gw.address(), 'hello.edge.test', '/upload', { method: 'POST', body: 'y'.repeat(3000), chunked: true })
  assert.equal(JSON.parse(chunked.body).bodyBytes, 3000)
})

test('least outstanding requests spreads concurrent slow requests over two instances', async (t) => {
  const [b1, b2] = await Promise.all([startBackend(t, 'b1', '127.0.31.1'), startBackend(t, 'b2', '127.0.31.1')])
  const { gw } = await startGateway(t, { site: 'alpha', host: '127.0.31.1', routes: [route('slow.test', [b1, b2])] })
  const replies = await Promise.all(Array.from({ length: 10 }, () => get(gw.address(), 'slow.test', '/?delay=1500')))
  const by: Record<string, number> = {}
  for (const r of replies) {
    assert.equal(r.status, 200)
    const n = JSON.parse(r.body).name as string
    by[n] = (by[n] ?? 0) + 1
  }
  assert.deepEqual(by, { b1: 5, b2: 5 })
})

test('passive health: a dead endpoint is retried on another one and then skipped', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const dead = await deadAddress()
  const { gw } = await startGateway(t, { site: 'alpha', routes: [route('app.test', [dead, b1])] })
  for (let i = 0; i < 6; i++) {
    const r = await get(gw.address(), 'app.test', `/${i}`)
    assert.equal(r.status, 200, `request ${i} is served`)
    assert.equal(JSON.parse(r.body).name, 'b1')
  }
  const post = await get(gw.address(), 'app.test', '/p', { method: 'POST', body: 'body' })
  assert.equal(post.status, 200, 'a POST whose body was not sent yet is retried too')
  const [rep] = gw.drainReports()
  assert.equal(rep.requests, 7)
  assert.equal(rep.errors, 0)
})

test('a single dead instance gives 502 with a clear body', async (t) => {
  const dead = await deadAddress()
  const { gw } = await startGateway(t, { site: 'alpha', routes: [route('app.test', [dead])] })
  for (let i = 0; i < 2; i++) {
    const r = await get(gw.address(), 'app.test', '/')
    assert.equal(r.status, 502)
    const body = JSON.parse(r.body)
    assert.equal(body.error, 'bad_gateway')
    assert.match(body.message, /ECONNREFUSED/)
  }
  assert.equal(gw.drainReports()[0].errors, 2)
})

test('unknown host → 404, empty table → 503, no ready instance → 503, all with clear bodies', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw, table } = await startGateway(t, { site: 'alpha' })
  let r = await get(gw.address(), 'anything.test', '/')
  assert.equal(r.status, 503)
  assert.equal(JSON.parse(r.body).error, 'no_routes')
  assert.match(JSON.parse(r.body).message, /no routes yet/)

  table.set(route('known.test', [b1]))
  r = await get(gw.address(), 'unknown.test', '/')
  assert.equal(r.status, 404)
  assert.equal(r.headers['content-type'], 'application/json')
  assert.deepEqual(JSON.parse(r.body).error, 'unknown_host')
  assert.match(JSON.parse(r.body).message, /unknown\.test/)

  table.set({ host: 'down.test', endpoints: [{ id: 'x', address: b1.address, ready: false }], fallbacks: [] })
  r = await get(gw.address(), 'down.test', '/')
  assert.equal(r.status, 503)
  assert.equal(JSON.parse(r.body).error, 'no_ready_instance')
  assert.equal(r.headers['retry-after'], '1')
  assert.equal((await b1.stats()).started, 0, 'nothing reached the instance')
})

test('drainReports counts requests, errors, latency, prefixes per host since the last call', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', routes: [route('a.test', [b1]), route('b.test', [b1])] })
  await get(gw.address(), 'a.test', '/', { localAddress: '127.0.0.5' })
  await get(gw.address(), 'a.test', '/', { localAddress: '127.0.0.6' })
  await get(gw.address(), 'a.test', '/?status=500', { localAddress: '127.0.1.1' })
  await get(gw.address(), 'b.test', '/', { localAddress: '127.0.1.1' })
  await get(gw.address(), 'nobody.test', '/')
  const reports = gw.drainReports().sort((x, y) => x.host.localeCompare(y.host))
  assert.deepEqual(reports.map((r) => [r.host, r.requests, r.errors, r.rejected, r.overflowed, r.inflight, r.saturated]), [
    ['a.test', 3, 1, 0, 0, 0, false],
    ['b.test', 1, 0, 0, 0, 0, false],
  ])
  assert.deepEqual(reports[0].byPrefix, { '127.0.0.0/24': 2, '127.0.1.0/24': 1 })
  assert.ok(reports[0].latencyMs.p50 > 0 && reports[0].latencyMs.p99 >= reports[0].latencyMs.p50)
  assert.deepEqual(gw.drainReports(), [], 'nothing new since the last call')
  assert.equal(gw.metrics().unknownHost, 1)
})

test('a table that throws costs one request (500), never the gateway', async (t) => {
  const b1 = await startBackend(t, 'b1')
  let broken = true
  const table = new StaticGatewayTable([route('app.test', [b1])])
  const flaky = { lookup: (h: string) => { if (broken) throw new Error('table bug'); return table.lookup(h) } }
  const gw = new SiteGateway({ listen: '127.0.0.1:0', table: flaky, site: 'alpha', log: createLogger('gateway', 'silent') })
  await gw.start()
  t.after(() => gw.stop())
  const r = await get(gw.address(), 'app.test', '/')
  assert.equal(r.status, 500)
  assert.equal(JSON.parse(r.body).error, 'internal_error')
  broken = false
  assert.equal((await get(gw.address(), 'app.test', '/')).status, 200)
})
