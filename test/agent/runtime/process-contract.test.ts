// The driver contract against the process runtime (host busybox from Debian busybox-static).
import { test } from 'node:test'
import { existsSync } from 'node:fs'
import { ProcessDriver } from '../../../src/agent/runtime/process-driver.js'
import { killGroup } from '../helpers.js'
import { driverContract } from './driver-contract.js'

const missing = existsSync('/bin/busybox') ? undefined : '/bin/busybox is missing (apt-get install busybox-static)'
const skip = missing && process.env.CI !== 'true' ? missing : false

test('process driver contract', { skip, timeout: 120_000 }, async (t) => {
  if (missing) throw new Error(`in CI this test must run, but ${missing}`)
  await driverContract({
    driver: () => new ProcessDriver({ exitPollMs: 100 }),
    template: (script) => ({ runtime: 'process', command: '/bin/busybox', args: ['sh', '-c', script], stopGracePeriodSeconds: 1 }),
    forceStop: async (h) => killGroup(h),
  })(t)
})
