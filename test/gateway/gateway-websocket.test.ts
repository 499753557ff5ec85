// WebSocket pass-through: echo through the gateway, closes propagate both ways, overflow works for
// upgrades too, and refused upgrades get their status before anything reaches the instance.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WebSocket } from 'ws'
import { ManualClock } from '../../src/lib/clock.js'
import { route, startBackend, startGateway, until } from './helpers.js'

function open(address: string, host: string, localAddress?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${address}/chat`, { headers: { host }, localAddress })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })))
  })
}

const next = (ws: WebSocket) => new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))))

test('a WebSocket echo works through the gateway and a client close reaches the instance', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', routes: [route('ws.test', [b1])] })
  const ws = await open(gw.address(), 'ws.test')
  for (const msg of ['hello', 'x'.repeat(100_000)]) {
    const reply = next(ws)
    ws.send(msg)
    assert.equal(await reply, `b1:${msg}`)
  }
  assert.equal((await b1.stats()).wsOpen, 1)
  ws.close()
  await until(async () => (await b1.stats()).wsOpen === 0)
  const [rep] = gw.drainReports()
  assert.equal(rep.requests, 1)
  assert.equal(gw.metrics().upgrades, 1)
})

test('an instance-side close reaches the client', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', routes: [route('ws.test', [b1])] })
  const ws = await open(gw.address(), 'ws.test')
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  ws.send('close-me')
  assert.equal(await closed, 4000)
})

test('upgrades overflow to the next site when there is no local instance', async (t) => {
  const b1 = await startBackend(t, 'b1', '127.0.32.1')
  const { gw: gwB } = await startGateway(t, { site: 'beta', host: '127.0.32.1', routes: [route('ws.test', [b1])] })
  const { gw: gwA } = await startGateway(t, { site: 'alpha', host: '127.0.31.1', routes: [route('ws.test', [], [{ site: 'beta', gateway: gwB.address() }])] })
  const ws = await open(gwA.address(), 'ws.test')
  const reply = next(ws)
  ws.send('via beta')
  assert.equal(await reply, 'b1:via beta')
  ws.close()
  assert.equal(gwA.drainReports()[0].overflowed, 1)
})

test('refused upgrades: unknown host 404, rate limit 429; the instance sees nothing', async (t) => {
  const b1 = await startBackend(t, 'b1')
  const { gw } = await startGateway(t, { site: 'alpha', clock: new ManualClock(), limits: { ratePerSecond: 1, rateBurst: 1 }, routes: [route('ws.test', [b1])] })
  await assert.rejects(open(gw.address(), 'nope.test', '127.0.0.20'), { status: 404 })
  const ws = await open(gw.address(), 'ws.test', '127.0.0.21')
  await assert.rejects(open(gw.address(), 'ws.test', '127.0.0.21'), { status: 429 })
  ws.close()
  assert.equal((await b1.stats()).wsTotal, 1)
})
