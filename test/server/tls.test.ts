// TLS by default: the server's own CA, pinned by agents through the join token; plain HTTP only
// when asked for on loopback; node credentials that rotate.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { startServer } from '../../src/server/server.js'
import { openStore } from '../../src/store/open.js'
import { createLogger } from '../../src/lib/log.js'
import { ManualClock } from '../../src/lib/clock.js'
import { HttpClient } from '../../src/lib/http-client.js'
import { certFingerprint, fetchPinnedCa } from '../../src/lib/tls.js'
import { trustedCa, rotationDue } from '../../src/agent/credentials.js'
import { isApiError } from '../../src/api/errors.js'

const log = createLogger('test', 'silent')

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ep-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('the server makes its own CA; join tokens pin it; agents accept only that CA', async (t) => {
  const dir = tmp(t)
  const srv = await startServer({ dataDir: dir, listen: '127.0.0.1:0', store: openStore({ driver: 'memory' }), log })
  t.after(() => srv.close())
  assert.match(srv.url, /^https:/)
  assert.ok(srv.ca && srv.caFingerprint)
  assert.equal(certFingerprint(srv.ca), srv.caFingerprint)
  assert.ok(new X509Certificate(srv.ca).ca, 'the pinned certificate is a CA')

  const admin = new HttpClient({ baseUrl: srv.url, token: (await import('node:fs')).readFileSync(srv.adminTokenPath, 'utf8').trim(), ca: srv.ca })
  t.after(() => admin.close())
  const { token } = (await admin.request('POST', '/v1/tokens', { type: 'join' })) as { token: string }
  assert.equal(token.split('.')[3], srv.caFingerprint, 'the join token carries the CA fingerprint')

  // Without a CA, the server's certificate is refused by a normal client.
  const blind = new HttpClient({ baseUrl: srv.url })
  await assert.rejects(blind.request('GET', '/healthz'), (e: unknown) => isApiError(e, 'Unavailable'))
  await blind.close()

  assert.equal(await fetchPinnedCa(srv.url, srv.caFingerprint!), srv.ca)
  await assert.rejects(fetchPinnedCa(srv.url, 'ab'.repeat(32)), /not the one in the join token/)

  const agentDir = tmp(t)
  const ca = await trustedCa({ dataDir: agentDir, server: srv.url, joinToken: token })
  assert.equal(ca, srv.ca)
  // Saved: later starts need neither the token nor the server.
  assert.equal(await trustedCa({ dataDir: agentDir, server: 'https://127.0.0.1:1' }), srv.ca)
  await assert.rejects(trustedCa({ dataDir: tmp(t), server: srv.url, joinToken: token.split('.').slice(0, 3).join('.') }), /carries no CA fingerprint/)
})

test('plain HTTP only on loopback, and only when asked for', async (t) => {
  await assert.rejects(startServer({ dataDir: tmp(t), listen: '0.0.0.0:0', tls: { mode: 'off' }, store: openStore({ driver: 'memory' }), log }), /only on a loopback address/)
  const srv = await startServer({ dataDir: tmp(t), listen: '127.0.0.1:0', tls: { mode: 'off' }, store: openStore({ driver: 'memory' }), log })
  t.after(() => srv.close())
  assert.match(srv.url, /^http:/)
  assert.equal(srv.caFingerprint, undefined)
})

test('node credentials rotate; the old one stops working after a short overlap', async (t) => {
  const clock = new ManualClock(Date.now())
  const srv = await startServer({ dataDir: tmp(t), listen: '127.0.0.1:0', tls: { mode: 'off' }, store: openStore({ driver: 'memory' }), log, clock, nodeCredentialTtlSeconds: 3000 })
  t.after(() => srv.close())
  const joinTok = await srv.tokens.createJoinToken()
  const first = await srv.tokens.join(joinTok.token, 'n1', 's1')
  assert.equal(Date.parse(first.expiresAt) - clock.now(), 3000_000)
  const p = await srv.tokens.authenticate(first.credential)
  assert.equal(p.kind, 'node')

  const http = new HttpClient({ baseUrl: srv.url })
  t.after(() => http.close())
  // Only a node credential may rotate, and it gets one for the same node.
  await assert.rejects(http.request('POST', '/v1/credentials/rotate', {}, joinTok.token), (e: unknown) => isApiError(e, 'Forbidden'))
  const next = (await http.request('POST', '/v1/credentials/rotate', {}, first.credential)) as { credential: string; expiresAt: string }
  const p2 = await srv.tokens.authenticate(next.credential)
  assert.deepEqual(p2.kind === 'node' && [p2.node, p2.site], ['n1', 's1'])
  // The old credential still works for the overlap, then expires.
  await srv.tokens.authenticate(first.credential)
  clock.advance(601_000)
  await assert.rejects(srv.tokens.authenticate(first.credential), (e: unknown) => isApiError(e, 'TokenExpired'))
  await srv.tokens.authenticate(next.credential)

  // The agent rotates after two thirds of the lifetime.
  const issuedAt = new Date(clock.now()).toISOString()
  const c = { server: srv.url, node: 'n1', site: 's1', credential: next.credential, issuedAt, expiresAt: new Date(clock.now() + 3000_000).toISOString() }
  assert.equal(rotationDue(c, clock.now() + 1999_000), false)
  assert.equal(rotationDue(c, clock.now() + 2001_000), true)
})

test('TLS sessions resume across a server restart with other arguments (ticket keys in DATA_DIR/pki)', async (t) => {
  const { connect } = await import('node:tls')
  const { statSync } = await import('node:fs')
  const { startServerProc, testScope } = await import('../e2e/fleet-helpers.js')
  const scope = testScope(t, 'ep-tls-resume-')
  const dataDir = join(scope.dir, 'server')
  /** One TLS connection to url offering session: whether it was resumed, and the ticket a full handshake gave. */
  const handshake = async (url: string, ca: string, session?: Buffer) => {
    const sock = connect({ host: '127.0.0.1', port: Number(new URL(url).port), ca, servername: '', ...(session ? { session } : {}) })
    const ticket = new Promise<Buffer>((r) => sock.once('session', r))
    await new Promise((r, j) => { sock.once('secureConnect', r); sock.once('error', j) })
    const reused = sock.isSessionReused()
    const got = reused ? undefined : await ticket
    sock.destroy()
    return { reused, session: got }
  }
  const first = await startServerProc(dataDir, ['--no-dns'])
  scope.procs.push(first)
  assert.equal(statSync(join(dataDir, 'pki', 'ticket.key')).mode & 0o777, 0o600)
  const full = await handshake(first.url, first.ca)
  assert.equal(full.reused, false)
  await first.kill('SIGKILL')
  // Another command line (Node's default session context hashes argv), the same data dir.
  const second = await startServerProc(dataDir, ['--no-dns', '--heartbeat-seconds', '3'])
  scope.procs.push(second)
  const again = await handshake(second.url, second.ca, full.session!)
  assert.equal(again.reused, true, 'the restarted server resumed the session')
})
