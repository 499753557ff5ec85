// Overflow between two real site gateways on their own loopback addresses: a saturated site sends
// requests to its neighbour, a dead fallback is skipped, and loops end in 503.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deadAddress, get, route, startBackend, startGateway, until } from './helpers.js'

test('a saturated site overflows to the next site, whose instance answers', async (t) => {
  const [a1, b1] = await Promise.all([startBackend(t, 'a1', '127.0.31.1'), startBackend(t, 'b1', '127.0.32.1')])
  const { gw: gwB } = await startGateway(t, { site: 'beta', host: '127.0.32.1', routes: [route('game.test', [b1])] })
  const { gw: gwA } = await startGateway(t, {
    site: 'alpha', host: '127.0.31.1', limits: { maxInflightPerEndpoint: 1 },
    routes: [route('game.test', [a1], [{ site: 'beta', gateway: gwB.address() }])],
  })
  const slow = get(gwA.address(), 'game.test', '/?delay=2000', { localAddress: '127.0.0.5' })
  await until(async () => (await a1.stats()).started === 1)
  const r = await get(gwA.address(), 'game.test', '/now', { localAddress: '127.0.0.5' })
  assert.equal(r.status, 200)
  assert.equal(r.headers['x-edgeplane-site'], 'beta', 'the response says which site served')
  const body = JSON.parse(r.body)
  assert.equal(body.name, 'b1')
  assert.equal(body.headers.host, 'game.test', 'the Host header is preserved across gateways')
  assert.equal(body.headers['x-edgeplane-hops'], undefined, 'hop headers are not passed to instances')
  assert.equal(body.headers['x-edgeplane-overflow-from'], 'alpha', 'the instance can tell the request overflowed')
  assert.match(body.headers['x-forwarded-for'], /^127\.0\.0\.5, 127\.\d+\.\d+\.\d+$/, 'the original client, then the forwarding gateway')
  const first = await slow
  assert.equal(first.status, 200)
  assert.equal(first.headers['x-edgeplane-site'], 'alpha')

  const [repA] = gwA.drainReports()
  assert.equal(repA.requests, 2)
  assert.equal(repA.overflowed, 1)
  assert.equal(repA.saturated, true)
  const [repB] = gwB.drainReports()
  assert.equal(repB.requests, 1)
  assert.equal(repB.overflowed, 0)
  assert.equal((await a1.stats()).started, 1, 'the saturated instance got only its one request')
})

test('overflow skips a fallback gateway that does not connect and uses the next', async (t) => {
  const b1 = await startBackend(t, 'b1', '127.0.32.1')
  const { gw: gwB } = await startGateway(t, { site: 'beta', host: '127.0.32.1', routes: [route('app.test', [b1])] })
  const dead = await deadAddress('127.0.33.1')
  const { gw: gwA } = await startGateway(t, {
    site: 'alpha', host: '127.0.31.1',
    routes: [route('app.test', [], [{ site: 'gamma', gateway: dead }, { site: 'beta', gateway: gwB.address() }])],
  })
  for (let i = 0; i < 3; i++) {
    const r = await get(gwA.address(), 'app.test', '/')
    assert.equal(r.status, 200)
    assert.equal(r.headers['x-edgeplane-site'], 'beta')
  }
  assert.equal(gwA.drainReports()[0].overflowed, 3)
})

test('two gateways that list each other as fallback and have no instances: 503, no ping-pong', async (t) => {
  const { gw: gwX, table: tx } = await startGateway(t, { site: 'x', host: '127.0.31.1' })
  const { gw: gwY, table: ty } = await startGateway(t, { site: 'y', host: '127.0.32.1' })
  tx.set(route('loop.test', [], [{ site: 'y', gateway: gwY.address() }]))
  ty.set(route('loop.test', [], [{ site: 'x', gateway: gwX.address() }]))
  const r = await get(gwX.address(), 'loop.test', '/')
  assert.equal(r.status, 503)
  const body = JSON.parse(r.body)
  assert.equal(body.error, 'no_ready_instance')
  assert.equal(body.site, 'y', 'the second gateway refused to send it back')
  assert.equal(gwX.metrics().requests, 1, 'x saw the request once')
  assert.equal(gwY.metrics().requests, 1, 'y saw the request once')
  assert.equal(gwX.metrics().overflowed, 1)
  assert.equal(gwY.metrics().overflowed, 0)
})

test('a request that arrives with hops >= maxHops is never forwarded again', async (t) => {
  const b1 = await startBackend(t, 'b1', '127.0.32.1')
  const { gw: gwB } = await startGateway(t, { site: 'beta', host: '127.0.32.1', routes: [route('app.test', [b1])] })
  const { gw: gwA } = await startGateway(t, {
    site: 'alpha', host: '127.0.31.1', limits: { maxHops: 2 },
    routes: [route('app.test', [], [{ site: 'beta', gateway: gwB.address() }])],
  })
  const r = await get(gwA.address(), 'app.test', '/', { headers: { 'x-edgeplane-hops': '2', 'x-edgeplane-overflow-from': 'gamma, delta' } })
  assert.equal(r.status, 503)
  assert.equal(JSON.parse(r.body).error, 'hop_limit')
  assert.match(JSON.parse(r.body).message, /crossed 2 gateways/)
  assert.equal(gwB.metrics().requests, 0, 'the fallback never saw it')

  const ok = await get(gwA.address(), 'app.test', '/', { headers: { 'x-edgeplane-hops': '1' } })
  assert.equal(ok.status, 200, 'one hop fewer may still overflow')
  assert.equal(JSON.parse(ok.body).name, 'b1')
})

test('three sites in a ring each forwarding to the next stop within maxHops', async (t) => {
  const names = ['s1', 's2', 's3']
  const gws = await Promise.all(names.map((site, i) => startGateway(t, { site, host: `127.0.3${i + 1}.1`, limits: { maxHops: 5 } })))
  // Each lists the next one and the previous one; the overflow-from chain stops revisits.
  names.forEach((_, i) => gws[i].table.set(route('ring.test', [], [
    { site: names[(i + 1) % 3], gateway: gws[(i + 1) % 3].gw.address() },
    { site: names[(i + 2) % 3], gateway: gws[(i + 2) % 3].gw.address() },
  ])))
  const r = await get(gws[0].gw.address(), 'ring.test', '/')
  assert.equal(r.status, 503)
  const total = gws.reduce((s, g) => s + g.gw.metrics().requests, 0)
  assert.equal(total, 3, 'each site saw the request once')
})
