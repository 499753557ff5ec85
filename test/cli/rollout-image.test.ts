// `rollout status` shows each site's image state (pre-distribution) beside its wave state.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderRollout } from '../../src/cli/commands/rollout.js'
import type { App } from '../../src/api/kinds/index.js'

test('rollout status: a site waiting for its image says so, with the reason', () => {
  const app = {
    apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'web' }, spec: {} as never,
    status: {
      replicas: 2, readyReplicas: 2,
      rollout: {
        revision: 'r1', from: 'r0', phase: 'Progressing', startedAt: '', wave: 1,
        waves: [
          { name: 'canary', sites: [{ site: 'paris', state: 'Done', image: { state: 'present' } }] },
          { name: '100%', sites: [{ site: 'tokyo', state: 'Pending', image: { state: 'failed', message: 'connection refused' }, message: 'waiting for the image: failed (connection refused)' }] },
        ],
      },
    },
  } as App
  const out = renderRollout(app)
  assert.match(out, /paris\s+Done\s+no instances, image present/)
  assert.match(out, /tokyo\s+Pending\s+no instances, image failed {2}— waiting for the image: failed \(connection refused\)/)
})
