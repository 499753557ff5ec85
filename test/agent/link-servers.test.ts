// An agent given several servers (comma-separated) dials the next one when a dial fails or its link
// drops: a dead first server does not keep it offline, and it moves on when its server goes away.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { LinkClient, serverUrls } from '../../src/agent/link-client.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { until } from '../lib/until.js'
import { helloOf } from '../link/hub-fixture.js'

const log = createLogger('test', 'silent')

async function freePort(): Promise<number> {
  const s = createNetServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

/** A server that welcomes every link (the agent side counts the link up at the welcome). */
async function welcomingServer(): Promise<{ http: Server; port: number; sockets: Set<WebSocket>; hellos: number[] }> {
  const http = createHttpServer()
  const wss = new WebSocketServer({ server: http })
  const sockets = new Set<WebSocket>()
  const hellos: number[] = []
  wss.on('connection', (ws) => {
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    ws.on('message', () => { hellos.push(Date.now()); ws.send(JSON.stringify({ t: 'welcome', serverTime: new Date().toISOString(), heartbeatSeconds: 4 })) })
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  return { http, port: (http.address() as { port: number }).port, sockets, hellos }
}

test('serverUrls: one or several URLs; a malformed one is refused by name', () => {
  assert.deepEqual(serverUrls('https://a:1'), ['https://a:1'])
  assert.deepEqual(serverUrls(' https://a:1, https://b:2 ,'), ['https://a:1', 'https://b:2'])
  assert.throws(() => serverUrls('https://a:1,not a url'), /Invalid URL/)
  assert.throws(() => serverUrls(' , '), /no server URL/)
})

test('link: the first server is dead, the agent links to the second; when that one drops it, it dials the next', async (t) => {
  const dead = await freePort()
  const b = await welcomingServer()
  t.after(async () => { for (const s of b.sockets) s.terminate(); b.http.closeAllConnections(); await new Promise((r) => b.http.close(r)) })
  const clock = new ManualClock()
  const dialed: string[] = []
  let ups = 0
  const client = new LinkClient({
    serverUrl: `http://127.0.0.1:${dead},http://127.0.0.1:${b.port}`, credential: () => 'epn.test', clock, random: () => 0, log,
    hello: () => helloOf(1), onMessage: () => undefined, onUp: () => { ups++ },
    onRedial: () => { dialed.push(client.server); setImmediate(() => clock.advance(0)) },
  })
  t.after(() => client.stop())
  client.start()
  await until('the link is up on the second server', () => ups === 1)
  assert.equal(client.server, `http://127.0.0.1:${b.port}`)
  assert.equal(b.hellos.length, 1)
  // The server it is on drops the link: the next dial goes to the next URL (the dead one), then back.
  for (const s of b.sockets) s.terminate()
  await until('linked again', () => ups === 2)
  assert.deepEqual(dialed.slice(0, 3), [`http://127.0.0.1:${b.port}`, `http://127.0.0.1:${dead}`, `http://127.0.0.1:${b.port}`])
})
