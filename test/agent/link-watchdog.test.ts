// The agent's link watchdog: a server not heard for three heartbeat intervals is gone (redial),
// checked by one timer per silence rather than re-armed for every message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { LinkClient } from '../../src/agent/link-client.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { helloOf } from '../link/hub-fixture.js'
import { until } from '../lib/until.js'

test('link watchdog: the link stays up while the server talks; it is cut three intervals after the server\'s last word, not before; one timer, not one per message', async (t) => {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  let server: WebSocket | undefined
  wss.on('connection', (ws) => {
    server = ws
    ws.once('message', () => ws.send(JSON.stringify({ t: 'welcome', serverTime: new Date().toISOString(), heartbeatSeconds: 1 })))
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  t.after(async () => { for (const c of wss.clients) c.terminate(); wss.close(); http.closeAllConnections(); await new Promise((r) => http.close(r)) })

  const clock = new ManualClock()
  let timers = 0
  const setTimeout_ = clock.setTimeout.bind(clock)
  clock.setTimeout = (fn, ms) => { timers++; return setTimeout_(fn, ms) }
  const downs: string[] = []
  let received = 0
  const client = new LinkClient({
    serverUrl: `http://127.0.0.1:${(http.address() as { port: number }).port}`, credential: () => 'epn.test', clock, random: () => 0,
    log: createLogger('test', 'silent'), hello: () => helloOf(1), onMessage: () => { received++ },
    onDown: (reason) => { downs.push(reason) },
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  })
  t.after(() => client.stop())
  client.start()
  await until('the link is up', () => client.connected)

  // The server speaks every 500 ms for 10 s (20 documents, and as many pings): the link stays up.
  const timersBefore = timers
  for (let k = 0; k < 20; k++) {
    clock.advance(500)
    server!.send(JSON.stringify({ t: 'routes', version: k + 1, routes: [] }))
    server!.ping()
    await until(`document ${k + 1} received`, () => received === k + 2)
  }
  assert.equal(client.connected, true)
  assert.deepEqual(downs, [])
  assert.ok(timers - timersBefore <= 4, `the watchdog re-armed ${timers - timersBefore} timers for 20 documents and 20 pings`)

  // Then silence: still up 1 ms before three intervals (3 s) after the last word, cut at 3 s.
  clock.advance(2999)
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(client.connected, true, 'not cut before three intervals')
  clock.advance(1)
  await until('the silent server is given up', () => downs.length === 1)
  assert.equal(downs[0], 'no heartbeat from the server')
})
