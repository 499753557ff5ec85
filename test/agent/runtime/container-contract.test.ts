// The driver contract against the container runtime: real podman, the busybox test image pulled
// from a docker-registry the test starts.
import { test } from 'node:test'
import { ContainerDriver } from '../../../src/agent/runtime/container/container-driver.js'
import { Podman } from '../../../src/agent/runtime/container/podman.js'
import { driverContract } from './driver-contract.js'
import { imageFixture, mustRun, skip } from './container/fixture.js'

test('container driver contract', { skip, timeout: 240_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  t.after(() => fx.close())
  const podman = new Podman()
  await driverContract({
    driver: () => new ContainerDriver({ podman, exitPollMs: 100 }),
    template: (script) => ({ runtime: 'container', image: `${fx.image.replace(/:1\.0$/, '')}@${fx.digest}`, command: '/bin/sh', args: ['-c', script], stopGracePeriodSeconds: 1 }),
    forceStop: async (h) => { await podman.run(['rm', '--force', '--ignore', h.container ?? '']) },
  })(t)
})
