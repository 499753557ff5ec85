// Issue 22, medium: a watcher that stops reading used to keep every event in the server's memory.
// Now a watch connection may leave only so much unread: past it the watcher is cut with a last
// ERROR event saying why, while the server (and /healthz) carries on. Real sockets: the bound is
// about bytes the kernel would not take.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { once } from 'node:events'
import { APPS, appManifest, startTestServer } from './helpers.js'

test('a watcher that stops reading is cut with a reason; memory stays bounded; /healthz answers', { timeout: 120_000 }, async (t) => {
  const limit = 64 * 1024
  const ts = await startTestServer(t, { watchBufferBytes: limit })
  const app = appManifest('web')
  app.metadata.annotations = { big: 'x'.repeat(200 * 1024) }
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: app })).statusCode, 201)

  const sock = connect(ts.srv.port, '127.0.0.1')
  await once(sock, 'connect')
  sock.write(`GET ${APPS}?watch=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ts.admin}\r\n\r\n`)
  sock.pause() // the slow watcher: it never reads until the end
  // ~200 KiB per event: enough to fill the kernel's buffers on loopback and then the limit.
  for (let i = 0; i < 120; i++) {
    const res = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: { 'content-type': 'application/merge-patch+json' }, payload: { metadata: { labels: { n: String(i) } } } })
    assert.equal(res.statusCode, 200)
    assert.equal((await ts.req({ method: 'GET', url: '/healthz', token: null })).statusCode, 200)
    await new Promise((r) => setImmediate(r))
  }
  // Now read everything: the stream must end, its last line an ERROR saying why.
  const chunks: Buffer[] = []
  sock.on('data', (c) => chunks.push(c))
  sock.resume()
  await once(sock, 'end')
  const text = Buffer.concat(chunks).toString('utf8')
  const lines = text.split('\n').filter((l) => l.startsWith('{'))
  const last = JSON.parse(lines.at(-1)!)
  assert.equal(last.type, 'ERROR')
  assert.equal(last.object.code, 410)
  assert.match(last.object.message, /left more than 65536 bytes unread/)
  // Far less than the 120 × 200 KiB that were written meanwhile.
  assert.ok(text.length < 120 * 200 * 1024, `read ${text.length} bytes`)
})
