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
