// The Scheduled condition's message and the per-site reason counts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { REASON } from '../../src/scheduler/feasibility.js'
import { placedMessage, unavailableMessage } from '../../src/scheduler/message.js'
import { Gi, node, req, site, snap } from './harness.js'

test('message: counts one reason per site, most frequent first, as Kubernetes does', () => {
  const sites = [
    site('a', { region: 'us' }), site('b', { region: 'us' }), site('c', { region: 'ap' }),
    site('d'), site('e'),
  ]
  const nodes = [node('a-n', 'a'), node('b-n', 'b'), node('c-n', 'c'), node('d-n', 'd', { memory: Gi }), node('e-n', 'e', { memory: Gi })]
  const plan = schedule(snap(sites, nodes), req({ replicas: 2, memory: '2Gi', placement: { regions: ['eu'] } }))
  assert.equal(plan.unplaced, 2)
  assert.deepEqual(plan.reasons, { [REASON.region]: 3, [REASON.memory]: 2 })
  assert.equal(plan.message, '0/5 sites available: 3 region mismatch, 2 insufficient memory')
})

test('message: a partial placement counts the sites that filled up', () => {
  const s = snap([site('a'), site('b', { tier: 'central' })], [node('a-n', 'a', { cpu: 1000 }), node('b-n', 'b')])
  const plan = schedule(s, req({ replicas: 5, cpu: '400m', placement: { tiers: ['edge'] } }))
  assert.equal(plan.place.length, 2)
  assert.equal(plan.unplaced, 3)
  assert.equal(plan.message, '0/2 sites available: 1 insufficient cpu, 1 tier mismatch')
})

test('message: an empty fleet', () => {
  const plan = schedule(snap([], []), req({ replicas: 2 }))
  assert.equal(plan.unplaced, 2)
  assert.deepEqual(plan.reasons, {})
  assert.equal(plan.message, '0/0 sites available')
})

test('message: formatting helpers', () => {
  assert.equal(placedMessage(5, 5, 3), '5/5 replicas placed on 3 sites')
  assert.equal(placedMessage(1, 1, 1), '1/1 replicas placed on 1 site')
  assert.equal(unavailableMessage(0, 4, { b: 2, a: 2, c: 1 }), '0/4 sites available: 2 a, 2 b, 1 c')
})
