// `rollout history` marks as current the revision of the App's template as stored, not the
// controller's status.revision, which lags a moment behind (right after `rollout undo`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Revision } from '../../src/api/kinds/index.js'
import { API_VERSION } from '../../src/api/meta.js'
import { templateRevision } from '../../src/api/revision.js'
import { currentRevision, historyTable } from '../../src/cli/commands/rollout.js'

const t1 = { runtime: 'process' as const, command: 'web', args: ['--v1'], stopGracePeriodSeconds: 10 }
const t2 = { ...t1, args: ['--v2'] }
const rev = (n: number, template: typeof t1): Revision => ({
  apiVersion: API_VERSION, kind: 'Revision', metadata: { name: `web-${n}`, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00.000Z' },
  spec: { app: 'web', revision: templateRevision(template), number: n, template },
})

test('right after an undo to v1, v1 is current although status still says v2', () => {
  const app: App = {
    apiVersion: API_VERSION, kind: 'App', metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, template: t1 },
    status: { revision: templateRevision(t2), lastGoodRevision: templateRevision(t1), replicas: 1, readyReplicas: 1 },
  }
  assert.equal(currentRevision(app), templateRevision(t1))
  const lines = historyTable(app, [rev(1, t1), rev(2, t2)], Date.parse('2026-01-01T00:01:00.000Z')).trimEnd().split('\n')
  assert.match(lines[1], /^1\s.*current, last good$/)
  assert.doesNotMatch(lines[2], /current/)
})
