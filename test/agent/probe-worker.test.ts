import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { ProbeWorker, type ProbeState } from '../../src/agent/probes/probe-worker.js'
import type { ProbeResult } from '../../src/agent/probes/probe.js'
import type { Probe } from '../../src/api/kinds/index.js'
import { probe, settle } from './helpers.js'

function harness(p: Probe) {
  const clock = new ManualClock()
  const changes: [ProbeState, string][] = []
  const runs: number[] = []
  let next: ProbeResult = { ok: true, message: 'fine' }
  let pending: ((r: ProbeResult) => void) | undefined
  let slow = false
  const worker = new ProbeWorker({
    probe: p, host: '127.0.0.1', ports: { web: 8080 }, clock,
    onChange: (s, m) => changes.push([s, m]),
    run: async () => {
      runs.push(clock.now())
      if (slow) return new Promise((r) => { pending = r })
      return next
    },
  })
  return {
    clock, changes, runs, worker,
    set(r: ProbeResult) { next = r },
    slow(on: boolean) { slow = on },
    finish(r: ProbeResult) { pending?.(r); pending = undefined },
    async step(ms: number) { clock.advance(ms); await settle() },
  }
}

const web = { http: { path: '/healthz', port: 'web' } }

test('waits initialDelaySeconds, then probes every periodSeconds', async () => {
  const h = harness(probe(web, { initialDelaySeconds: 5, periodSeconds: 2 }))
  const t0 = h.clock.now()
  h.worker.start()
  await h.step(4999)
  assert.equal(h.runs.length, 0)
  await h.step(1)
  await h.step(2000)
  await h.step(2000)
  assert.deepEqual(h.runs.map((t) => t - t0), [5000, 7000, 9000])
})

test('success needs successThreshold in a row; failure needs failureThreshold in a row', async () => {
  const h = harness(probe(web, { successThreshold: 2, failureThreshold: 3 }))
  h.worker.start()
  await h.step(0)
  assert.deepEqual(h.changes, [], 'one success is not enough')
  assert.equal(h.worker.current, 'unknown')
  await h.step(1000)
  assert.deepEqual(h.changes, [['success', 'fine']])

  h.set({ ok: false, message: 'HTTP 500' })
  await h.step(1000)
  await h.step(1000)
  h.set({ ok: true, message: 'fine' }) // a blip: the failure count starts over
  await h.step(1000)
  h.set({ ok: false, message: 'HTTP 500' })
  await h.step(1000)
  await h.step(1000)
  assert.equal(h.changes.length, 1, 'two failures in a row do not flip it')
  await h.step(1000)
  assert.deepEqual(h.changes.at(-1), ['failure', 'HTTP 500'])
  await h.step(1000)
  assert.equal(h.changes.length, 2, 'onChange only on a change')
  assert.equal(h.worker.lastResult?.message, 'HTTP 500')
})

test('a slow probe never overlaps the next run, and stop() ends the schedule', async () => {
  const h = harness(probe(web, { periodSeconds: 1 }))
  h.slow(true)
  h.worker.start()
  await h.step(0)
  await h.step(5000)
  assert.equal(h.runs.length, 1, 'still waiting for the first answer')
  h.finish({ ok: true, message: 'late' })
  await settle()
  await h.step(0) // the period already passed: the next run is due at once
  assert.equal(h.runs.length, 2)
  h.worker.stop()
  h.finish({ ok: true, message: 'after stop' })
  await h.step(10_000)
  assert.equal(h.runs.length, 2)
  assert.deepEqual(h.changes, [['success', 'late']], 'a result after stop() is not reported')
})

test('a throwing onChange does not stop the schedule', async () => {
  const clock = new ManualClock()
  let runs = 0
  const worker = new ProbeWorker({
    probe: probe(web), host: '127.0.0.1', ports: { web: 8080 }, clock,
    onChange: () => { throw new Error('listener bug') },
    run: async () => { runs++; return { ok: true, message: 'fine' } },
  })
  worker.start()
  for (let i = 0; i < 3; i++) { clock.advance(i ? 1000 : 0); await settle() }
  assert.equal(runs, 3)
  assert.equal(worker.current, 'success')
  worker.stop()
})

test('ramp: until the first success, probes 50, 100, 200… ms apart (capped at the period), then every period', async () => {
  const clock = new ManualClock()
  const runs: number[] = []
  let ok = false
  const worker = new ProbeWorker({
    probe: probe(web, { initialDelaySeconds: 1, periodSeconds: 1 }), host: '127.0.0.1', ports: { web: 8080 }, clock, ramp: true,
    onChange: () => {},
    run: async () => { runs.push(clock.now()); return ok ? { ok: true, message: 'fine' } : { ok: false, message: 'refused' } },
  })
  const t0 = clock.now()
  worker.start()
  const step = async (ms: number) => { clock.advance(ms); await settle() }
  await step(999)
  assert.equal(runs.length, 0, 'initialDelaySeconds is respected')
  for (const ms of [1, 50, 100, 200, 400, 800, 999]) await step(ms)
  assert.deepEqual(runs.map((t) => t - t0), [1000, 1050, 1150, 1350, 1750, 2550], 'the gap after 800 ms is capped at the 1 s period')
  await step(1)
  assert.equal(runs.at(-1)! - t0, 3550)
  ok = true
  await step(1000)
  assert.equal(worker.current, 'success')
  await step(50)
  await step(950)
  assert.deepEqual(runs.slice(7).map((t) => t - t0), [4550, 5550], 'after the first success, every period (no ramp)')
  ok = false
  for (let i = 0; i < 3; i++) await step(1000)
  assert.equal(worker.current, 'failure')
  await step(100)
  assert.equal(runs.length, 12, 'a later failure does not restart the ramp')
  worker.stop()
})

test('ramp with the default period: a process listening 180 ms after start is seen ready at 350 ms, not at 5 s', async () => {
  const clock = new ManualClock()
  const changes: ProbeState[] = []
  const t0 = clock.now()
  const worker = new ProbeWorker({
    probe: probe(web), host: '127.0.0.1', ports: { web: 8080 }, clock, ramp: true,
    onChange: (s) => changes.push(s),
    run: async () => (clock.now() - t0 >= 180 ? { ok: true, message: 'HTTP 200' } : { ok: false, message: 'ECONNREFUSED' }),
  })
  worker.start()
  let seen: number | undefined
  for (let t = 0; t <= 6000 && seen === undefined; t += 10) {
    await settle()
    if (worker.current === 'success') seen = clock.now() - t0
    else clock.advance(10)
  }
  assert.equal(seen, 350, 'probes at 0, 50, 150, 350 ms')
  assert.equal(changes.at(-1), 'success')
  worker.stop()
})
