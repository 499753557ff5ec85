// The instance supervisor over the real container driver: a pull that fails and a workload killed
// for memory are clear statuses (ImageNotFound, OOMKilled with exit code 137), and restarts follow
// the backoff on the injected clock, never a tight loop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ManualClock } from '../../../../src/lib/clock.js'
import { ContainerDriver } from '../../../../src/agent/runtime/container/container-driver.js'
import { Podman } from '../../../../src/agent/runtime/container/podman.js'
import { InstanceSupervisor, type SupervisorStatus } from '../../../../src/agent/supervisor/instance-supervisor.js'
import type { Template } from '../../../../src/api/kinds/index.js'
import { tempDir, waitFor } from '../../helpers.js'
import { imageFixture, mustRun, skip } from './fixture.js'

test('supervised containers: failures are statuses with backoff', { skip, timeout: 240_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  t.after(() => fx.close())
  const podman = new Podman()
  const dir = tempDir(t)
  const pinned = `${fx.image.replace(/:1\.0$/, '')}@${fx.digest}`
  const supervise = (name: string, template: Template) => {
    const clock = new ManualClock()
    const seen: SupervisorStatus[] = []
    let starts = 0
    const driver = new ContainerDriver({ podman, exitPollMs: 100 }) // its exit polling runs on real time
    const counting = Object.assign(Object.create(driver) as ContainerDriver, { start: (s: Parameters<ContainerDriver['start']>[0]) => { starts++; return driver.start(s) } })
    const sup = new InstanceSupervisor({
      driver: counting, clock, host: '127.0.0.1', ports: {},
      spec: { id: `test/${name}`, uid: `sup-${name}-${process.pid}`, template, env: {}, cwd: dir, logFile: join(dir, `${name}.log`) },
      onChange: (s) => seen.push(s),
    })
    t.after(() => sup.stop(0).catch(() => undefined))
    return { sup, clock, seen, starts: () => starts }
  }

  await t.test('unknown image: ImageNotFound, retried only when the backoff is due', async () => {
    const { sup, clock, starts } = supervise('ghost', { runtime: 'container', image: `${fx.registry.host}/edgeplane-test/missing:1.0`, stopGracePeriodSeconds: 0 })
    sup.start()
    const failed = await waitFor(() => sup.status().phase === 'Failed' && sup.status(), 'Failed', 60_000)
    assert.equal(failed.reason, 'ImageNotFound')
    assert.match(failed.message ?? '', /not found|manifest unknown/)
    assert.match(failed.message ?? '', /restarting in 1s/)
    assert.equal(starts(), 1)
    clock.advance(999)
    assert.equal(starts(), 1, 'no retry before the backoff')
    clock.advance(1)
    await waitFor(() => sup.status().phase === 'Failed' && sup.status().restarts === 1 && sup.status(), 'second failure', 60_000)
    assert.equal(starts(), 2)
    assert.match(sup.status().message ?? '', /restarting in 2s/, 'the backoff grows')
  })

  await t.test('memory limit below use: OOMKilled, exit code 137, restarted after the backoff', async () => {
    const { sup, clock, starts } = supervise('hog', { runtime: 'container', image: pinned, command: '/bin/sh', args: ['-c', 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'], resources: { memory: '16Mi' }, stopGracePeriodSeconds: 0 })
    sup.start()
    const st = await waitFor(() => sup.status().phase === 'Failed' && sup.status(), 'OOMKilled', 60_000)
    assert.equal(st.reason, 'OOMKilled')
    assert.equal(st.exitCode, 137)
    assert.match(st.message ?? '', /out of memory \(limit 16Mi\); restarting in 1s/)
    assert.equal(starts(), 1)
    clock.advance(1000)
    await waitFor(() => starts() === 2 && sup.status().phase === 'Failed' && sup.status().restarts === 1, 'restarted by the policy', 60_000)
    assert.equal(sup.status().reason, 'OOMKilled')
  })
})
