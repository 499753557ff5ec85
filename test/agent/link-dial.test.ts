// How the agent redials: a refused dial backs off with the connection error, and the next attempt
// reports its own reason, not the previous attempt's; stop() ends a dial under way without a redial.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { until } from '../lib/until.js'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocketServer } from 'ws'
import { LinkClient } from '../../src/agent/link-client.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { ensurePki } from '../../src/server/tls/pki.js'
import { helloOf } from '../link/hub-fixture.js'

const log = createLogger('test', 'silent')

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createNetServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

test('link dial: a refused dial backs off with the connection error; the next reports its own reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-dial-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const pki = await ensurePki(dir, { ips: ['127.0.0.1'], dns: [] })
  const port = await freePort()
  const clock = new ManualClock()
  const redials: string[] = []
  const client = new LinkClient({
    serverUrl: `https://127.0.0.1:${port}`, credential: () => 'epn.test', clock, random: () => 0, log, ca: pki.ca,
    hello: () => helloOf(1),
    onMessage: () => undefined,
    onRedial: (reason) => { redials.push(reason) },
  })
  t.after(() => client.stop())
  client.start()
  await until('a refused dial', () => redials.length === 1)
  assert.match(redials[0], /ECONNREFUSED/)

  // The server comes up on that port and drops each link without a word (no close frame, no reason).
  const https = createHttpsServer({ cert: pki.cert, key: pki.key })
  const wss = new WebSocketServer({ server: https })
  wss.on('connection', (ws) => ws.terminate())
  https.listen(port, '127.0.0.1')
  await once(https, 'listening')
  t.after(async () => {
    for (const c of wss.clients) c.terminate()
    wss.close()
    https.closeAllConnections()
    await new Promise((r) => https.close(r))
  })
  clock.advance(0)
  await until('a link that the server drops', () => redials.length === 2)
  assert.equal(redials[1], 'code 1006', 'the dropped link, not the refused dial before it')
})

test('link dial: stop() while a dial is under way ends it without a redial', async (t) => {
  const srv = createNetServer((s) => s.destroy()).listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.after(() => new Promise((r) => srv.close(r)))
  const clock = new ManualClock()
  const redials: string[] = []
  const client = new LinkClient({
    serverUrl: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, credential: () => 'epn.test', clock, random: () => 0, log,
    hello: () => helloOf(1),
    onMessage: () => undefined,
    onRedial: (reason) => { redials.push(reason) },
  })
  client.start()
  client.stop()
  await new Promise((r) => setTimeout(r, 50))
  assert.deepEqual(redials, [])
})
