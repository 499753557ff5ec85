// The accept gate: connections go on to TLS and HTTP at a bounded rate; the rest wait (their bytes
// kept for when they pass), a client that leaves while waiting is skipped, and past the queue they are
// closed at once and reported.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { request, createServer } from 'node:https'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../src/lib/clock.js'
import { AcceptGate } from '../../src/server/link/accept-gate.js'
import { ensurePki } from '../../src/server/tls/pki.js'

/** What the gate touches of a socket. */
class FakeSocket extends EventEmitter {
  destroyed = false
  constructor(readonly id: number) { super() }
  destroy(): void { this.destroyed = true }
}

function gated(o: { rate: number; burst: number; maxQueued: number }) {
  const clock = new ManualClock()
  const server = new EventEmitter()
  const passed: number[] = []
  const shed: number[] = []
  server.on('connection', (s: FakeSocket) => passed.push(s.id))
  const gate = new AcceptGate({ clock, ratePerSecond: o.rate, burst: o.burst, maxQueued: o.maxQueued, onShed: (n) => shed.push(n) })
  gate.install(server as never)
  const offer = (id: number) => { const s = new FakeSocket(id); server.emit('connection', s as unknown as Socket); return s }
  return { clock, gate, passed, shed, offer }
}

test('accept gate: a burst passes at once, the rest at the rate in arrival order, the excess is closed and reported', () => {
  const g = gated({ rate: 10, burst: 2, maxQueued: 3 })
  const socks = [1, 2, 3, 4, 5, 6].map((id) => g.offer(id))
  assert.deepEqual(g.passed, [1, 2])
  assert.deepEqual(g.gate.stats, { passed: 2, queued: 3, shed: 1 })
  assert.equal(socks[5].destroyed, true, 'past the queue: closed at once')
  assert.equal(socks[2].destroyed, false)
  assert.equal(socks[2].listenerCount('error'), 1, 'a waiting socket has an error listener (a reset must not crash the server)')

  socks[3].destroyed = true // client 4 gave up while waiting
  g.clock.advance(100)
  assert.deepEqual(g.passed, [1, 2, 3])
  assert.equal(socks[2].listenerCount('error'), 0, 'the gate lets go of a passed socket')
  g.clock.advance(100)
  assert.deepEqual(g.passed, [1, 2, 3, 5], 'the one that left is skipped')
  assert.equal(g.gate.stats.queued, 0)

  g.clock.advance(1000)
  assert.deepEqual(g.shed, [1], 'closed connections reported a second after the burst')
  g.offer(7)
  assert.deepEqual(g.passed, [1, 2, 3, 5, 7], 'with the tokens back, a new connection passes at once')

  g.gate.stop()
  assert.equal(g.offer(8).destroyed, true, 'a stopped gate (the server is closing) closes new connections')
  assert.deepEqual(g.passed, [1, 2, 3, 5, 7])
})

test('accept gate: in front of a real TLS server, waiting connections complete when their turn comes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-gate-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const pki = await ensurePki(dir, { ips: ['127.0.0.1'], dns: [] })
  const server = createServer({ cert: pki.cert, key: pki.key }, (_req, res) => res.end('ok'))
  const clock = new ManualClock()
  const gate = new AcceptGate({ clock, ratePerSecond: 1, burst: 1, maxQueued: 10 })
  gate.install(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => { gate.stop(); server.closeAllConnections(); server.close() })
  const port = (server.address() as { port: number }).port

  const done: number[] = []
  const get = (i: number) => new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', ca: pki.ca, agent: false }, (res) => {
      res.resume()
      res.on('end', () => { done.push(i); resolve() })
    })
    req.on('error', reject)
    req.end()
  })
  const all = Promise.all([get(1), get(2), get(3)])
  const until = async (n: number) => { for (let i = 0; i < 300 && done.length < n; i++) await new Promise((r) => setTimeout(r, 10)) }
  await until(1)
  assert.equal(done.length, 1, 'one connection passes; the others wait')
  await new Promise((r) => setTimeout(r, 100))
  assert.equal(done.length, 1, 'and keep waiting while the gate has no tokens')
  assert.equal(gate.stats.queued, 2)
  clock.advance(1000)
  await until(2)
  assert.equal(done.length, 2)
  clock.advance(1000)
  await all
  assert.equal(done.length, 3)
  assert.deepEqual(gate.stats, { passed: 3, queued: 0, shed: 0 })
})
