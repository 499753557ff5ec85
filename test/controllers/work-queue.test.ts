// The keyed work queue: dedup, dirty re-runs, no self-concurrency, backoff on a ManualClock,
// terminal errors, requeueAfter and stop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../src/api/errors.js'
import { ManualClock } from '../../src/lib/clock.js'
import { WorkQueue, type ReconcileResult } from '../../src/controllers/runtime/work-queue.js'
import { log, tick } from './helpers.js'

interface Gate { promise: Promise<void>; open: () => void }
function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((r) => { open = r })
  return { promise, open }
}

function queue(reconcile: (key: string) => Promise<ReconcileResult | void>, over: { concurrency?: number; baseBackoffMs?: number; maxBackoffMs?: number; dutyCycle?: number } = {}) {
  const clock = new ManualClock()
  const q = new WorkQueue({ name: 'test', clock, log, reconcile, ...over })
  return { clock, q }
}

test('work queue: a key added several times while queued is processed once', async () => {
  const seen: string[] = []
  const block = gate()
  const { q } = queue(async (k) => { seen.push(k); if (k === 'blocker') await block.promise })
  q.add('blocker') // occupies the only worker so the next adds stay queued
  q.add('a'); q.add('a'); q.add('b'); q.add('a')
  assert.equal(q.length, 2)
  block.open()
  await q.idle()
  assert.deepEqual(seen, ['blocker', 'a', 'b'])
})

test('work queue: a key re-added while being processed runs once more afterwards', async () => {
  const seen: string[] = []
  const block = gate()
  let first = true
  const { q } = queue(async (k) => {
    seen.push(k)
    if (first) { first = false; await block.promise }
  })
  q.add('a')
  assert.deepEqual(seen, ['a'])
  q.add('a'); q.add('a'); q.add('a') // three adds while active → one more run, not three
  assert.equal(q.length, 0, 'an active key is not queued a second time')
  block.open()
  await q.idle()
  assert.deepEqual(seen, ['a', 'a'])
})

test('work queue: a key is never processed by two workers at once', async () => {
  let active = 0
  let maxActiveA = 0
  let runsA = 0
  const gates: Gate[] = []
  const { q } = queue(async (k) => {
    if (k !== 'a') return
    active++
    runsA++
    maxActiveA = Math.max(maxActiveA, active)
    const g = gate()
    gates.push(g)
    await g.promise
    active--
  }, { concurrency: 4 })
  q.add('a')
  q.add('b')
  q.add('a')
  q.add('c')
  await tick()
  assert.equal(active, 1)
  for (let i = 0; i < 5 && gates.length; i++) {
    gates.shift()!.open()
    await tick()
  }
  await q.idle()
  assert.equal(maxActiveA, 1)
  assert.equal(runsA, 2)
})

test('work queue: different keys run in parallel up to the concurrency', async () => {
  let active = 0
  let peak = 0
  const block = gate()
  const { q } = queue(async () => { active++; peak = Math.max(peak, active); await block.promise; active-- }, { concurrency: 3 })
  for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k)
  assert.equal(active, 3)
  assert.equal(q.length, 2)
  block.open()
  await q.idle()
  assert.equal(peak, 3)
})

test('work queue: a retryable failure is retried with exponential backoff', async () => {
  const at: number[] = []
  let failures = 4
  const { q, clock } = queue(async () => {
    at.push(clock.now())
    if (failures-- > 0) throw new ApiError('Conflict', 'stale')
  }, { baseBackoffMs: 100, maxBackoffMs: 10_000 })
  const t0 = clock.now()
  q.add('a')
  await q.idle()
  assert.equal(at.length, 1)
  // Just before each retry is due nothing happens; at the due time it runs.
  for (const delay of [100, 200, 400, 800]) {
    clock.advance(delay - 1)
    await q.idle()
    const before: number = at.length
    clock.advance(1)
    await q.idle()
    assert.equal(at.length, before + 1, `retry after ${delay}ms`)
  }
  assert.deepEqual(at.map((x) => x - t0), [0, 100, 300, 700, 1500])
  assert.equal(failures, -1)
  clock.advance(60_000)
  await q.idle()
  assert.equal(at.length, 5, 'no retry after a success')
})

test('work queue: a plain Error is retried; the backoff is capped at maxBackoffMs', async () => {
  const at: number[] = []
  const { q, clock } = queue(async () => { at.push(clock.now()); throw new Error('boom') }, { baseBackoffMs: 100, maxBackoffMs: 500 })
  const t0 = clock.now()
  q.add('a')
  await q.idle()
  for (const delay of [100, 200, 400, 500, 500]) {
    clock.advance(delay - 1)
    await q.idle()
    clock.advance(1)
    await q.idle()
  }
  const gaps = at.slice(1).map((x, i) => x - at[i])
  assert.deepEqual(gaps, [100, 200, 400, 500, 500])
  assert.equal(at[0], t0)
  q.stop()
})

test('work queue: success resets the backoff of the key', async () => {
  const at: number[] = []
  let mode: 'fail' | 'ok' = 'fail'
  const { q, clock } = queue(async () => { at.push(clock.now()); if (mode === 'fail') throw new Error('x') }, { baseBackoffMs: 100 })
  q.add('a'); await q.idle()
  clock.advance(100); await q.idle() // second failure → next in 200
  mode = 'ok'
  clock.advance(200); await q.idle() // succeeds
  mode = 'fail'
  const t = clock.now()
  q.add('a'); await q.idle()
  clock.advance(100); await q.idle()
  assert.equal(at.at(-1)! - t, 100, 'the first retry after a success waits the base backoff again')
  q.stop()
})

test('work queue: an ApiError that retrying cannot fix is not retried', async () => {
  let runs = 0
  const { q, clock } = queue(async () => { runs++; throw new ApiError('Invalid', 'spec.replicas: must be >= 0') })
  q.add('a')
  await q.idle()
  assert.equal(runs, 1)
  assert.equal(clock.pending(), 0, 'no retry timer')
  clock.advance(10 * 60_000)
  await q.idle()
  assert.equal(runs, 1)
  q.add('a') // a later change still gets reconciled
  await q.idle()
  assert.equal(runs, 2)
})

test('work queue: requeueAfterMs runs the key again after that long', async () => {
  const at: number[] = []
  const { q, clock } = queue(async () => { at.push(clock.now()); return at.length < 3 ? { requeueAfterMs: 5000 } : undefined })
  const t0 = clock.now()
  q.add('a')
  await q.idle()
  clock.advance(4999)
  await q.idle()
  assert.equal(at.length, 1)
  clock.advance(1)
  await q.idle()
  clock.advance(5000)
  await q.idle()
  clock.advance(60_000)
  await q.idle()
  assert.deepEqual(at.map((x) => x - t0), [0, 5000, 10000])
})

test('work queue: stop() drops queued keys and pending retries and ignores new adds', async () => {
  const seen: string[] = []
  const block = gate()
  const { q, clock } = queue(async (k) => {
    seen.push(k)
    if (k === 'a') await block.promise
    if (k === 'fail') throw new Error('x')
  })
  q.add('fail')
  await q.idle()
  assert.equal(clock.pending(), 1, 'retry timer armed')
  q.add('a')
  q.add('b')
  q.stop()
  assert.equal(clock.pending(), 0)
  q.add('c')
  q.add('a') // re-add while active after stop: not run again
  block.open()
  await q.idle()
  clock.advance(60_000)
  await q.idle()
  assert.deepEqual(seen, ['fail', 'a'])
})

test('work queue: idle() resolves at once when nothing is queued or running', async () => {
  const { q } = queue(async () => undefined)
  await q.idle()
  q.add('a')
  await q.idle()
})

test('work queue: with a duty cycle, a key that keeps changing waits in proportion to what its last reconcile cost', async () => {
  const runs: { key: string; at: number }[] = []
  const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); }
  const { q } = queue(async (k) => { runs.push({ key: k, at: performance.now() }); if (k === 'big') busy(60) }, { dutyCycle: 0.5 })
  q.add('big')
  await q.idle()
  const first = runs[0].at
  // Changed twice right after: run once more, and not before the 60 ms it took have passed again.
  q.add('big'); q.add('big')
  q.add('small')
  await q.idle()
  // (Order and lower bounds only: a loaded machine may run anything later, never earlier.)
  assert.deepEqual(runs.map((r) => r.key), ['big', 'small', 'big'], 'the small key was not held back behind the paced one')
  assert.ok(runs[2].at - first >= 60 + 60 - 1, `paced: started ${(runs[2].at - first).toFixed(1)} ms after the first run`)
})
