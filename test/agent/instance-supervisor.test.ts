import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { InstanceSupervisor, type InstanceSupervisorOptions, type SupervisorStatus } from '../../src/agent/supervisor/instance-supervisor.js'
import type { ProbeResult } from '../../src/agent/probes/probe.js'
import type { InstanceHandle } from '../../src/agent/runtime/driver.js'
import type { Template } from '../../src/api/kinds/index.js'
import { FakeDriver } from './fake-driver.js'
import { probe, settle, template } from './helpers.js'

function harness(extra: Partial<Template> = {}, opts: Partial<InstanceSupervisorOptions> = {}) {
  const clock = new ManualClock()
  const driver = new FakeDriver(clock)
  const changes: SupervisorStatus[] = []
  const persisted: InstanceHandle[] = []
  const probeResults: Record<string, ProbeResult> = {}
  const sup = new InstanceSupervisor({
    driver, clock,
    spec: { id: 'ns/app-1', template: template('/bin/app', [], extra), env: {}, cwd: '/', logFile: '/tmp/x.log' },
    host: '127.0.0.1', ports: { web: 30001 },
    onChange: (s) => changes.push(s),
    onHandle: (h) => persisted.push(h),
    // Readiness probes /ready, liveness probes /live; each answers what the test set.
    probeRunner: async (p) => probeResults[p.http?.path ?? ''] ?? { ok: true, message: 'fine' },
    ...opts,
  })
  return {
    clock, driver, sup, changes, persisted, probeResults,
    async step(ms: number) { await settle(); clock.advance(ms); await settle() },
  }
}

test('starts the process, reports Running and ready (no readiness probe), persists the handle', async () => {
  const h = harness()
  assert.equal(h.sup.status().phase, 'Starting')
  h.sup.start()
  await settle()
  assert.equal(h.driver.starts.length, 1)
  const st = h.sup.status()
  assert.equal(st.phase, 'Running')
  assert.equal(st.ready, true)
  assert.equal(st.restarts, 0)
  assert.equal(st.pid, h.driver.last().pid)
  assert.equal(st.startedAt, h.driver.last().startedAt)
  assert.deepEqual(h.persisted, [h.driver.last()])
  assert.deepEqual(h.changes.map((c) => c.phase), ['Running'], 'the initial status is Starting already')
  assert.equal(h.sup.handle(), h.driver.last())
})

test('restarts after an exit with exponential backoff up to maxMs', async () => {
  const h = harness({}, { restartBackoff: { initialMs: 1000, maxMs: 4000, resetAfterMs: 60_000 } })
  h.sup.start()
  await settle()
  const delays: number[] = []
  for (let i = 0; i < 4; i++) {
    h.driver.exit(h.driver.last().pid, { code: 3, signal: null })
    const st = h.sup.status()
    assert.equal(st.phase, 'Failed')
    assert.equal(st.exitCode, 3)
    assert.equal(st.reason, 'Error')
    assert.equal(st.ready, false)
    assert.equal(st.pid, undefined)
    const before = h.driver.starts.length
    let waited = 0
    while (h.driver.starts.length === before && waited < 100_000) { await h.step(250); waited += 250 }
    delays.push(waited)
    assert.equal(h.sup.status().restarts, i + 1)
    assert.equal(h.sup.status().phase, 'Running')
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 4000])
  assert.match(h.changes.find((c) => c.phase === 'Failed')!.message!, /exited with code 3; restarting in 1s/)
  assert.equal(h.persisted.length, 5, 'every new process is handed out for persisting')
})

test('the backoff resets after the instance ran resetAfterMs', async () => {
  const h = harness({}, { restartBackoff: { initialMs: 1000, maxMs: 60_000, resetAfterMs: 10_000 } })
  h.sup.start()
  await settle()
  h.driver.exit(h.driver.last().pid)
  await h.step(1000)
  h.driver.exit(h.driver.last().pid) // quick crash: 2s next
  assert.match(h.sup.status().message!, /restarting in 2s/)
  await h.step(2000)
  await h.step(10_000) // a good long run
  h.driver.exit(h.driver.last().pid)
  assert.match(h.sup.status().message!, /restarting in 1s/)
  assert.equal(h.sup.status().restarts, 2)
})

test('a start failure is Failed with the message and retried with backoff', async () => {
  const h = harness()
  h.driver.startErrors.push(new Error('cannot start "/bin/app": command not found (ENOENT)'), new Error('still missing'))
  h.sup.start()
  await settle()
  let st = h.sup.status()
  assert.equal(st.phase, 'Failed')
  assert.equal(st.reason, 'StartError')
  assert.match(st.message!, /command not found \(ENOENT\); restarting in 1s/)
  await h.step(1000)
  st = h.sup.status()
  assert.equal(st.phase, 'Failed')
  assert.match(st.message!, /still missing; restarting in 2s/)
  assert.equal(st.restarts, 1)
  await h.step(1999)
  assert.equal(h.driver.starts.length, 2)
  await h.step(1)
  assert.equal(h.sup.status().phase, 'Running')
  assert.equal(h.sup.status().restarts, 2)
  assert.equal(h.persisted.length, 1)
})

test('readiness: not ready until the probe succeeds, not ready again after it fails', async () => {
  const h = harness({ readiness: probe({ http: { path: '/ready', port: 'web' } }, { initialDelaySeconds: 2, periodSeconds: 1, failureThreshold: 2 }) })
  h.probeResults['/ready'] = { ok: false, message: 'HTTP 503' }
  h.sup.start()
  await h.step(0)
  assert.equal(h.sup.status().phase, 'Running')
  assert.equal(h.sup.status().ready, false)
  await h.step(2000)
  await h.step(1000)
  assert.equal(h.sup.status().ready, false)
  h.probeResults['/ready'] = { ok: true, message: 'HTTP 200' }
  await h.step(1000)
  assert.equal(h.sup.status().ready, true)
  h.probeResults['/ready'] = { ok: false, message: 'HTTP 503' }
  await h.step(1000)
  assert.equal(h.sup.status().ready, true, 'one failure is below the threshold')
  await h.step(1000)
  assert.equal(h.sup.status().ready, false)
  assert.equal(h.sup.status().phase, 'Running')
})

test('a liveness failure kills the process and restarts it, counted as a restart', async () => {
  const h = harness({ liveness: probe({ http: { path: '/live', port: 'web' } }, { periodSeconds: 1, failureThreshold: 2 }) })
  h.sup.start()
  await h.step(0)
  const first = h.driver.last()
  await h.step(5000)
  assert.equal(h.driver.stops.length, 0, 'healthy: left alone')
  h.probeResults['/live'] = { ok: false, message: 'GET /live: HTTP 500' }
  await h.step(1000)
  await h.step(1000)
  const st = h.sup.status()
  assert.equal(st.phase, 'Failed')
  assert.equal(st.reason, 'LivenessFailed')
  assert.match(st.message!, /liveness probe failed: GET \/live: HTTP 500; restarting in 1s/)
  assert.deepEqual(h.driver.stops.map((s) => s.handle), [first])
  assert.equal(h.driver.stops[0]!.graceMs, 1000, 'stopGracePeriodSeconds of the template')
  assert.equal(h.driver.isAlive(first), false)
  h.probeResults['/live'] = { ok: true, message: 'fine' }
  await h.step(1000)
  assert.equal(h.sup.status().phase, 'Running')
  assert.equal(h.sup.status().restarts, 1)
  assert.notEqual(h.driver.last().pid, first.pid)
  assert.equal(h.driver.starts.length, 2, 'the kill is not seen as a second exit')
})

test('a live persisted handle is adopted without restarting it', async () => {
  const clock = new ManualClock()
  const handle: InstanceHandle = { id: 'ns/app-1', pid: 777, startTime: 1, startedAt: new Date(clock.now() - 3600_000).toISOString(), logFile: '/tmp/x.log' }
  const h = harness({}, { handle, restarts: 4 })
  h.driver.adoptable(handle)
  h.sup.start()
  await settle()
  assert.equal(h.driver.starts.length, 0)
  assert.equal(h.persisted.length, 0)
  const st = h.sup.status()
  assert.deepEqual([st.phase, st.reason, st.pid, st.restarts, st.ready], ['Running', 'Adopted', 777, 4, true])
  h.driver.exit(777, { code: null, signal: null })
  assert.match(h.sup.status().message!, /exit code unknown/)
  assert.match(h.sup.status().message!, /restarting in 1s/, 'it ran an hour: no accumulated backoff')
  await h.step(1000)
  assert.equal(h.sup.status().restarts, 5)
  assert.equal(h.driver.starts.length, 1)
})

test('a dead persisted handle is cleaned up and replaced by a new process', async () => {
  const handle: InstanceHandle = { id: 'ns/app-1', pid: 777, startTime: 1, startedAt: '2025-12-31T00:00:00.000Z', logFile: '/tmp/x.log' }
  const h = harness({}, { handle })
  h.sup.start()
  await settle()
  assert.deepEqual(h.driver.stops.map((s) => s.handle.pid), [777], 'stragglers of its group are stopped')
  assert.equal(h.driver.starts.length, 1)
  assert.equal(h.sup.status().phase, 'Running')
  assert.equal(h.sup.status().restarts, 1)
  assert.ok(h.changes.some((c) => /previous process 777 was gone/.test(c.message ?? '')))
})

test('stop() stops for good: the process is stopped and nothing restarts', async () => {
  const h = harness()
  h.sup.start()
  await settle()
  const running = h.driver.last()
  await h.sup.stop(500)
  assert.deepEqual(h.driver.stops, [{ handle: running, graceMs: 500 }])
  assert.deepEqual([h.sup.status().phase, h.sup.status().ready, h.sup.status().pid], ['Stopped', false, undefined])
  await h.step(120_000)
  assert.equal(h.driver.starts.length, 1)
  assert.equal(h.driver.aliveCount(), 0)
})

test('stop() during the backoff cancels the restart', async () => {
  const h = harness()
  h.sup.start()
  await settle()
  h.driver.exit(h.driver.last().pid)
  await h.sup.stop()
  await h.step(120_000)
  assert.equal(h.driver.starts.length, 1)
  assert.equal(h.sup.status().phase, 'Stopped')
  assert.equal(h.clock.pending(), 0)
})

test('stop() while a start is in flight stops the process that start produces', async () => {
  const h = harness()
  let open!: () => void
  h.driver.gate = new Promise((r) => { open = r })
  h.sup.start()
  await settle()
  assert.equal(h.sup.status().phase, 'Starting')
  const stopped = h.sup.stop(300)
  open()
  await stopped
  assert.equal(h.driver.handles.length, 1)
  assert.deepEqual(h.driver.stops, [{ handle: h.driver.handles[0], graceMs: 300 }])
  assert.equal(h.driver.aliveCount(), 0)
  assert.equal(h.sup.status().phase, 'Stopped')
  assert.equal(h.persisted.length, 0, 'never reported as started')
})

test('a handle that cannot be persisted leaves the process running and says so', async () => {
  const h = harness({}, { onHandle: () => { throw new Error('disk full') } })
  h.sup.start()
  await settle()
  const st = h.sup.status()
  assert.equal(st.phase, 'Running')
  assert.equal(st.message, 'handle not persisted: disk full')
  assert.equal(h.driver.aliveCount(), 1)
})

test('readiness with the default 5 s period is found on the startup ramp; liveness keeps its period', async () => {
  const h = harness({
    readiness: probe({ http: { path: '/ready', port: 'web' } }),
    liveness: probe({ http: { path: '/live', port: 'web' } }, { initialDelaySeconds: 0, periodSeconds: 5 }),
  })
  const calls: string[] = []
  const t0 = h.clock.now()
  // The process listens 120 ms after start: refused before.
  h.sup['opts'].probeRunner = async (p) => {
    calls.push(`${p.http?.path}@${h.clock.now() - t0}`)
    return h.clock.now() - t0 >= 120 ? { ok: true, message: 'HTTP 200' } : { ok: false, message: 'ECONNREFUSED' }
  }
  h.sup.start()
  for (let t = 0; t < 160; t += 10) await h.step(10)
  assert.equal(h.sup.status().ready, true, 'ready at the 150 ms probe of the ramp, not at 5 s')
  assert.deepEqual(calls.filter((c) => c.startsWith('/live')), ['/live@0'], 'liveness is not ramped')
  assert.deepEqual(calls.filter((c) => c.startsWith('/ready')), ['/ready@0', '/ready@50', '/ready@150'])
})
