// The scheduling fields of App: priority, placement.division / failover / scoring / preemption,
// autoscale. Defaults are filled in on admission; errors name their field path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, type Cause } from '../../src/api/errors.js'
import { validateResource } from '../../src/api/validate.js'
import type { App } from '../../src/api/kinds/index.js'
import { app } from './fixtures.js'

function causes(input: unknown): Cause[] {
  try {
    validateResource(input)
  } catch (err) {
    assert.ok(err instanceof ApiError && err.code === 'Invalid', String(err))
    return err.details.causes ?? []
  }
  assert.fail('expected Invalid')
}
const fields = (input: unknown) => causes(input).map((c) => `${c.field}: ${c.reason}`)

test('scheduling fields: defaults are filled in where the objects are given', () => {
  const plain = validateResource(app()) as App
  assert.equal(plain.spec.priority, 0)
  assert.equal(plain.spec.placement, undefined, 'no placement, no defaults invented')
  const a = validateResource(app({ spec: { placement: { division: {}, failover: {}, scoring: {}, preemption: {} }, autoscale: { min: 1, max: 5, targetPerReplica: { requestsPerSecond: 50 } } } })) as App
  assert.deepEqual(a.spec.placement, {
    division: { mode: 'fixed' },
    failover: { afterSeconds: 60, returnAfterSeconds: 120, pinned: false },
    scoring: { capacity: 1, distance: 2, cost: 1, spread: 1 },
    preemption: { maxPerHour: 10 },
  })
  assert.equal(a.spec.autoscale?.scaleDownDelaySeconds, 60)
})

test('scheduling fields: weighted mode with weights by site, region or provider is valid', () => {
  const a = validateResource(app({ spec: { priority: 100, placement: { division: { mode: 'weighted', weights: [{ region: 'eu', weight: 3 }, { site: 'par-1', weight: 0 }, { provider: 'acme', region: 'us', weight: 1.5 }] } } } })) as App
  assert.equal(a.spec.placement?.division?.weights?.length, 3)
})

test('scheduling fields: schema errors name the field', () => {
  assert.deepEqual(fields(app({ spec: { priority: 1.5 } })), ['spec.priority: FieldValueInvalid'])
  assert.deepEqual(fields(app({ spec: { placement: { division: { mode: 'random' } } } })), ['spec.placement.division.mode: FieldValueNotSupported'])
  assert.deepEqual(fields(app({ spec: { placement: { failover: { afterSeconds: -1 } } } })), ['spec.placement.failover.afterSeconds: FieldValueInvalid'])
  assert.deepEqual(fields(app({ spec: { placement: { scoring: { distance: 1000 } } } })), ['spec.placement.scoring.distance: FieldValueInvalid'])
  assert.deepEqual(fields(app({ spec: { placement: { preemption: { maxPerHour: 2, perDay: 3 } } } })), ['spec.placement.preemption.perDay: FieldValueUnknown'])
  assert.deepEqual(fields(app({ spec: { placement: { division: { mode: 'weighted', weights: [{ region: 'eu', weight: -1 }] } } } })), ['spec.placement.division.weights[0].weight: FieldValueInvalid'])
  assert.deepEqual(fields(app({ spec: { autoscale: { min: 1, max: 0, targetPerReplica: {} } } })).sort(), ['spec.autoscale.max: FieldValueInvalid'])
})

test('scheduling fields: semantic checks name the field and the fix', () => {
  const noWeights = causes(app({ spec: { placement: { division: { mode: 'weighted' } } } }))
  assert.deepEqual(noWeights.map((c) => [c.field, c.reason]), [['spec.placement.division.weights', 'FieldValueRequired']])
  assert.match(noWeights[0].message, /mode weighted needs weights/)
  assert.deepEqual(fields(app({ spec: { placement: { division: { mode: 'capacity', weights: [{ region: 'eu', weight: 1 }] } } } })), ['spec.placement.division.weights: FieldValueForbidden'])
  assert.deepEqual(fields(app({ spec: { placement: { division: { mode: 'weighted', weights: [{ weight: 1 }] } } } })), ['spec.placement.division.weights[0]: FieldValueRequired'])
  assert.deepEqual(fields(app({ spec: { autoscale: { min: 5, max: 2, targetPerReplica: { concurrentConnections: 10 } } } })), ['spec.autoscale.min: FieldValueInvalid'])
  assert.deepEqual(fields(app({ spec: { autoscale: { min: 1, max: 2, targetPerReplica: {} } } })), ['spec.autoscale.targetPerReplica: FieldValueRequired'])
})

test('scheduling fields: a plan\'s decisions fit status.placement as they are', async () => {
  const { schedule } = await import('../../src/scheduler/schedule.js')
  const a = validateResource(app({ spec: { replicas: 3 } })) as App
  const sites = ['a', 'b'].map((name) => ({ name, region: 'eu', provider: 'own', tier: 'edge' as const, labels: {}, unschedulable: false }))
  const nodes = sites.map((s) => ({ name: `${s.name}-n`, site: s.name, ready: true, unschedulable: false, allocatable: { cpu: 4000, memory: 2 ** 33 }, labels: {} }))
  const plan = schedule({ sites, nodes, instances: [] }, { app: a, appKey: 'default/web', revision: 'r1' })
  const withStatus = { ...a, status: { replicas: 0, readyReplicas: 0, placement: { decisions: plan.decisions, omitted: plan.decisionsOmitted }, autoscale: { replicas: 3, lastScaleDownAt: '2026-01-01T00:00:00.000Z' } } }
  assert.deepEqual((validateResource(withStatus) as App).status?.placement?.decisions, plan.decisions)
})
