// The startup ramp as the hollow simulator computes it (rampSeenAt) is the one the agent's probe
// worker follows: for any moment an instance starts listening, both see it ready at the same time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { ProbeWorker } from '../../src/agent/probes/probe-worker.js'
import { rampDelayMs, rampSeenAt } from '../../src/agent/probes/ramp.js'
import { probe, settle } from './helpers.js'

test('ramp: 50 ms doubling, capped at the period', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => rampDelayMs(n, 1000)), [50, 100, 200, 400, 800, 1000, 1000])
  assert.equal(rampDelayMs(1000, 5000), 5000, 'no overflow far along')
  assert.equal(rampSeenAt(0, 180, 5000), 350)
  assert.equal(rampSeenAt(1000, 1180, 5000), 1350, 'from the initial delay on')
  assert.equal(rampSeenAt(0, 0, 5000), 0)
  assert.equal(rampSeenAt(0, 10_000, 1000), 10_550)
})

test('ramp: the simulator\'s readiness time equals the probe worker\'s, for any listening time', async () => {
  for (const [initialDelaySeconds, periodSeconds, listenAt] of [[0, 5, 0], [0, 5, 120], [0, 5, 700], [1, 2, 1400], [0, 1, 4321]] as const) {
    const clock = new ManualClock()
    const t0 = clock.now()
    const w = new ProbeWorker({
      probe: probe({ http: { path: '/', port: 'web' } }, { initialDelaySeconds, periodSeconds }), host: '127.0.0.1', ports: { web: 1 }, clock, ramp: true,
      onChange: () => {},
      run: async () => (clock.now() - t0 >= listenAt ? { ok: true, message: 'ok' } : { ok: false, message: 'refused' }),
    })
    w.start()
    clock.advance(0)
    let seen: number | undefined
    for (let t = 0; t <= 20_000 && seen === undefined; t += 10) {
      await settle()
      if (w.current === 'success') seen = clock.now() - t0
      else clock.advance(10)
    }
    w.stop()
    assert.equal(seen, rampSeenAt(initialDelaySeconds * 1000, listenAt, periodSeconds * 1000), `listening at ${listenAt} ms`)
  }
})
