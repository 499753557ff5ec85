// TLS session resumption on the link: the agent offers the session of its last connection, and a
// server with the same ticket keys (as edgeplane keeps them in DATA_DIR/pki across restarts)
// resumes it, skipping the certificate exchange; a server with other keys does a full handshake.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { until } from '../lib/until.js'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer } from 'ws'
import { LinkClient } from '../../src/agent/link-client.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { ensurePki } from '../../src/server/tls/pki.js'
import { ensureTicketKeys } from '../../src/server/tls/ticket-keys.js'

const log = createLogger('test', 'silent')

interface LinkServer { port: number; resumed: boolean[]; close: () => Promise<void> }

/** An HTTPS WebSocket server that records, per link, whether its TLS session was resumed, and closes it. */
async function linkServer(tls: { cert: string; key: string }, ticketKeys: Buffer, port = 0): Promise<LinkServer> {
  const https: Server = createServer({ cert: tls.cert, key: tls.key, ticketKeys })
  const wss = new WebSocketServer({ server: https })
  const resumed: boolean[] = []
  wss.on('connection', (ws, req) => {
    resumed.push((req.socket as TLSSocket).isSessionReused())
    ws.close(4000, 'test: goodbye')
  })
  https.listen(port, '127.0.0.1')
  await once(https, 'listening')
  return {
    port: (https.address() as { port: number }).port,
    resumed,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      wss.close()
      https.closeAllConnections()
      await new Promise((r) => https.close(r))
    },
  }
}

function tmp(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ep-resume-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('link TLS: a redial resumes the last session, across a server restart with the same ticket keys', async (t) => {
  const dir = tmp(t)
  const pki = await ensurePki(dir, { ips: ['127.0.0.1'], dns: [] })
  const keys = ensureTicketKeys(dir)
  assert.deepEqual(ensureTicketKeys(dir), keys, 'the keys are kept in the data dir')
  let srv = await linkServer(pki, keys)
  const port = srv.port
  const clock = new ManualClock()
  let redials = 0
  const client = new LinkClient({
    onRedial: () => { redials++ },
    serverUrl: `https://127.0.0.1:${port}`, credential: () => 'epn.test', clock, random: () => 0, log, ca: pki.ca,
    hello: () => ({ t: 'hello', node: 'n1', site: { name: 's1', region: 'r', provider: 'p', tier: 'edge' }, address: '127.0.0.1', capacity: { cpu: 1000, memory: 1024 }, desiredVersion: 0, agent: { version: '0', pid: 1 } }),
    onMessage: () => undefined,
  })
  t.after(() => client.stop())
  client.start()
  await until('a link', () => srv.resumed.length === 1)
  // The server closed the link; the redial (backoff 0 with this random) resumes.
  await until('a redial', () => redials === 1)
  clock.advance(0)
  await until('a second link', () => srv.resumed.length === 2)
  assert.deepEqual(srv.resumed, [false, true])

  // A restart on the same port with the same keys: still resumed.
  await srv.close()
  srv = await linkServer(pki, keys, port)
  await until('a redial', () => redials === 2)
  clock.advance(0)
  await until('a link', () => srv.resumed.length === 1)
  assert.deepEqual(srv.resumed, [true])

  // Other keys (a server that lost its data dir): a full handshake, and the link still comes up.
  await srv.close()
  srv = await linkServer(pki, ensureTicketKeys(tmp(t)), port)
  t.after(() => srv.close())
  await until('a redial', () => redials === 3)
  clock.advance(0)
  await until('a link', () => srv.resumed.length === 1)
  assert.deepEqual(srv.resumed, [false])
})
