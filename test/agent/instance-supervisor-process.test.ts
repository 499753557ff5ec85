// The supervisor over real processes: the wiring the agent will use.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { systemClock } from '../../src/lib/clock.js'
import { ProcessDriver } from '../../src/agent/runtime/process-driver.js'
import { InstanceSupervisor, type SupervisorStatus } from '../../src/agent/supervisor/instance-supervisor.js'
import type { InstanceHandle } from '../../src/agent/runtime/driver.js'
import { keepAlive, killGroup, nodeSpec, probe, tempDir, testPorts, waitFor } from './helpers.js'

test('a crashing process is restarted and its restarts count up', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const handles: InstanceHandle[] = []
  const changes: SupervisorStatus[] = []
  const sup = new InstanceSupervisor({
    driver, clock: systemClock,
    spec: nodeSpec(dir, 'console.log("boot"); setTimeout(() => process.exit(3), 20)'),
    host: '127.0.0.1', ports: {},
    restartBackoff: { initialMs: 20, maxMs: 40 },
    onHandle: (h) => handles.push(h),
    onChange: (s) => changes.push(s),
  })
  t.after(() => handles.forEach(killGroup))
  sup.start()
  await waitFor(() => sup.status().restarts >= 2, 'two restarts')
  const failed = changes.filter((c) => c.phase === 'Failed')
  assert.ok(failed.length >= 2)
  assert.ok(failed.every((c) => c.exitCode === 3 && c.reason === 'Error' && /exited with code 3; restarting in/.test(c.message ?? '')))
  assert.ok(handles.length >= 3)
  assert.equal(new Set(handles.map((h) => h.pid)).size, handles.length, 'a new process each time')
  await keepAlive(sup.stop(1000))
  assert.equal(sup.status().phase, 'Stopped')
  const restarts = sup.status().restarts
  await new Promise((r) => setTimeout(r, 150))
  assert.equal(sup.status().restarts, restarts, 'no restart after stop')
  assert.ok(handles.every((h) => !driver.isAlive(h)))
})

test('a real HTTP server on its allocated port becomes ready, and stop() ends it', async (t) => {
  const dir = tempDir(t)
  const host = '127.0.0.1'
  const alloc = testPorts(host)
  const port = await alloc.allocate()
  const server = `require('http').createServer((q, s) => { s.writeHead(q.url === '/ready' ? 200 : 404); s.end() }).listen(Number(process.env.PORT), process.env.HOST)`
  const changes: SupervisorStatus[] = []
  let handle: InstanceHandle | undefined
  const sup = new InstanceSupervisor({
    driver: new ProcessDriver(), clock: systemClock,
    spec: nodeSpec(dir, server, {
      env: { HOST: host, PORT: String(port), PORT_WEB: String(port) },
      extra: { ports: [{ name: 'web', protocol: 'tcp' }], readiness: probe({ http: { path: '/ready', port: 'web' } }, { periodSeconds: 0.05 }) },
    }),
    host, ports: { web: port },
    onChange: (s) => changes.push(s),
    onHandle: (h) => { handle = h },
  })
  t.after(() => killGroup(handle))
  sup.start()
  await waitFor(() => sup.status().ready, 'ready')
  assert.equal(sup.status().phase, 'Running')
  assert.equal(sup.status().pid, handle?.pid)
  assert.ok(changes.some((c) => c.phase === 'Running' && !c.ready), 'running before ready')
  await keepAlive(sup.stop(1000))
  assert.deepEqual([sup.status().phase, sup.status().ready], ['Stopped', false])
  const res = await fetch(`http://${host}:${port}/ready`).then(() => 'served', () => 'refused')
  assert.equal(res, 'refused')
  alloc.release(port)
})
