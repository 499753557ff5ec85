// StatusReporter on a ManualClock: batching, coalescing per instance, holding reports while the
// link is down (latest state only) and the full resend after a reconnect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { InstanceReport } from '../../src/api/link.js'
import { ManualClock } from '../../src/lib/clock.js'
import { StatusReporter } from '../../src/agent/status-reporter.js'

function harness(batchMs = 250) {
  const clock = new ManualClock()
  const state = new Map<string, InstanceReport>()
  const sent: InstanceReport[][] = []
  let up = true
  const reporter = new StatusReporter({
    clock, batchMs,
    send: (r) => { if (!up) return false; sent.push(structuredClone(r)); return true },
    report: (uid) => state.get(uid),
    all: () => [...state.values()],
  })
  const set = (uid: string, over: Partial<InstanceReport> = {}) => {
    state.set(uid, { uid, phase: 'Running', ready: true, restarts: 0, endpoints: {}, ...over })
    reporter.changed(uid)
  }
  return { clock, state, sent, reporter, set, link: (v: boolean) => { up = v } }
}

test('status reporter: changes are batched for batchMs and coalesced per instance', () => {
  const h = harness(250)
  h.set('a', { phase: 'Starting', ready: false })
  h.set('b')
  h.set('a', { phase: 'Running', ready: true, restarts: 1 })
  h.clock.advance(249)
  assert.equal(h.sent.length, 0)
  assert.equal(h.reporter.pending, 2)
  h.clock.advance(1)
  assert.equal(h.sent.length, 1, 'one batch')
  assert.deepEqual(h.sent[0].map((r) => [r.uid, r.phase, r.restarts]), [['a', 'Running', 1], ['b', 'Running', 0]])
  assert.equal(h.reporter.pending, 0)
  h.clock.advance(10_000)
  assert.equal(h.sent.length, 1, 'nothing more without changes')
})

test('status reporter: reports are held while send fails and go, latest state only, once it works', () => {
  const h = harness()
  h.link(false)
  h.set('a', { phase: 'Starting', ready: false })
  h.set('b')
  h.clock.advance(250)
  assert.equal(h.sent.length, 0)
  assert.equal(h.reporter.pending, 2, 'held, not dropped')
  h.set('a', { phase: 'Running', restarts: 2 })
  h.set('a', { phase: 'Failed', ready: false, restarts: 3 })
  h.clock.advance(250)
  assert.equal(h.sent.length, 0)
  assert.equal(h.reporter.pending, 2, 'bounded by the number of instances')
  h.link(true)
  h.reporter.flush()
  assert.equal(h.sent.length, 1)
  assert.deepEqual(h.sent[0].map((r) => [r.uid, r.phase, r.restarts]), [['a', 'Failed', 3], ['b', 'Running', 0]])
  assert.equal(h.reporter.pending, 0)
})

test('status reporter: the next change after the link is back carries the held reports too', () => {
  const h = harness()
  h.link(false)
  h.set('a')
  h.clock.advance(250)
  h.link(true)
  h.set('b')
  h.clock.advance(250)
  assert.deepEqual(h.sent.map((b) => b.map((r) => r.uid)), [['a', 'b']])
})

test('status reporter: resendAll sends every instance at once', () => {
  const h = harness()
  for (const u of ['a', 'b', 'c']) h.set(u)
  h.clock.advance(250)
  h.sent.length = 0
  h.reporter.resendAll()
  assert.equal(h.sent.length, 1)
  assert.deepEqual(h.sent[0].map((r) => r.uid).sort(), ['a', 'b', 'c'])
  assert.equal(h.reporter.pending, 0)
})

test('status reporter: gone instances are not reported', () => {
  const h = harness()
  h.set('a')
  h.set('b')
  h.state.delete('a')
  h.clock.advance(250)
  assert.deepEqual(h.sent.map((b) => b.map((r) => r.uid)), [['b']])
  h.set('c')
  h.state.delete('c')
  h.clock.advance(250)
  assert.equal(h.sent.length, 1, 'a batch of only gone instances sends nothing')
  assert.equal(h.reporter.pending, 0)
})

test('status reporter: stop cancels the pending batch', () => {
  const h = harness()
  h.set('a')
  h.reporter.stop()
  h.clock.advance(1000)
  assert.equal(h.sent.length, 0)
  assert.equal(h.clock.pending(), 0)
})
