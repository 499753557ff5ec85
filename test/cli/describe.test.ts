// `describe app` prints the scheduler's per-site decisions as a table, and why replicas were left over.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App } from '../../src/api/kinds/index.js'
import { API_VERSION } from '../../src/api/meta.js'
import { placementSection } from '../../src/cli/commands/describe.js'

const app = (status: App['status']): App => ({
  apiVersion: API_VERSION, kind: 'App', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, template: { runtime: 'process', command: 'web', stopGracePeriodSeconds: 10 } }, status,
})

test('describe app: a table of each site\'s decision; the reasons when replicas are left over', () => {
  const out = placementSection(app({
    replicas: 1, readyReplicas: 1,
    conditions: [{ type: 'Scheduled', status: 'False', reason: 'Unschedulable', message: '0/3 sites available: 2 region mismatch, 1 insufficient cpu', lastTransitionTime: '2026-01-01T00:00:00.000Z' }],
    placement: {
      decisions: [
        { site: 'lyon', replicas: 1, score: 0.8125, reason: '1: even spread by site' },
        { site: 'osaka', replicas: 0, lost: 1, score: 0.5, reason: '0: failed over (NotReady 95s); 1 lost on failed nodes (not counted, not removed)' },
        { site: 'paris', replicas: 0, reason: 'region mismatch' },
      ],
      omitted: 4,
    },
  }))
  assert.equal(out, [
    'Placement:',
    '  SITE    REPLICAS   TARGET   SCORE   DECISION',
    '  lyon    1          -        0.813   1: even spread by site',
    '  osaka   0          -        0.500   0: failed over (NotReady 95s); 1 lost on failed nodes (not counted, not removed)',
    '  paris   0          -        -       region mismatch',
    '  (4 more site(s) not shown)',
    '  Not all replicas placed: 0/3 sites available: 2 region mismatch, 1 insufficient cpu',
    '',
  ].join('\n'))
  assert.equal(placementSection(app({ replicas: 0, readyReplicas: 0 })), '', 'nothing before the first plan')
})
