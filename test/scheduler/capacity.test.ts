// Capacity fit: requests against allocatable minus every instance already on the node, including
// other apps, other revisions and what the same plan placed before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { REASON } from '../../src/scheduler/feasibility.js'
import { Gi, Mi, inst, node, perNode, req, site, snap } from './harness.js'

test('capacity: a request equal to the free capacity fits, one millicore more does not', () => {
  const s = snap([site('a')], [node('n', 'a', { cpu: 500, memory: Gi })])
  assert.equal(schedule(s, req({ cpu: '500m', memory: '1Gi' })).place.length, 1)
  const over = schedule(s, req({ cpu: '501m', memory: '1Gi' }))
  assert.equal(over.unplaced, 1)
  assert.deepEqual(over.reasons, { [REASON.cpu]: 1 })
})

test('capacity: memory shortfall is reported as insufficient memory', () => {
  const plan = schedule(snap([site('a')], [node('n', 'a', { cpu: 4000, memory: 256 * Mi })]), req({ memory: '512Mi' }))
  assert.deepEqual(plan.reasons, { [REASON.memory]: 1 })
  assert.equal(plan.message, '0/1 sites available: 1 insufficient memory')
})

test('capacity: other apps and other revisions of this app use capacity', () => {
  const s = snap([site('a')], [node('n', 'a', { cpu: 1000 })], [
    inst('db-0', 'n', 'a', { app: 'default/db', request: { cpu: 600, memory: 0 } }),
    inst('web-old', 'n', 'a', { revision: 'r0', request: { cpu: 200, memory: 0 } }),
  ])
  const plan = schedule(s, req({ replicas: 2, cpu: '200m' }))
  assert.equal(plan.place.length, 1)
  assert.equal(plan.unplaced, 1)
  assert.deepEqual(plan.remove, [], 'other revisions are the rollout\'s business')
})

test('capacity: instances on nodes that are gone use nothing', () => {
  const s = snap([site('a')], [node('n', 'a', { cpu: 1000 })], [inst('x', 'gone', 'a', { app: 'default/db', request: { cpu: 1000, memory: 0 } })])
  assert.equal(schedule(s, req({ cpu: '1' })).place.length, 1)
})

test('capacity: placements of the same plan use capacity', () => {
  const plan = schedule(snap([site('a')], [node('n0', 'a', { cpu: 1000 }), node('n1', 'a', { cpu: 500 })]), req({ replicas: 5, cpu: '500m' }))
  assert.deepEqual(perNode(plan), { n0: 2, n1: 1 })
  assert.equal(plan.unplaced, 2)
  assert.equal(plan.message, '0/1 sites available: 1 insufficient cpu')
})

test('capacity: the site reason is the shortfall of its roomiest node', () => {
  // n0 has the most cpu but too little memory; n1 lacks cpu: the roomiest (by cpu) speaks for the site.
  const plan = schedule(snap([site('a')], [node('n0', 'a', { cpu: 4000, memory: 100 * Mi }), node('n1', 'a', { cpu: 100, memory: 4 * Gi })]), req({ cpu: '1', memory: '1Gi' }))
  assert.deepEqual(plan.reasons, { [REASON.memory]: 1 })
})

test('capacity: a node that fits only by memory is still used when the roomier one is short', () => {
  const plan = schedule(snap([site('a')], [node('n0', 'a', { cpu: 4000, memory: 100 * Mi }), node('n1', 'a', { cpu: 2000, memory: 4 * Gi })]), req({ cpu: '1', memory: '1Gi' }))
  assert.deepEqual(plan.place, [{ node: 'n1', site: 'a' }])
})

test('capacity: unset requests are zero and fit even an overcommitted node', () => {
  const s = snap([site('a')], [node('n', 'a', { cpu: 100, memory: Mi })], [inst('db', 'n', 'a', { app: 'default/db', request: { cpu: 500, memory: 0 } })])
  const plan = schedule(s, req({ replicas: 3, cpu: null, memory: null }))
  assert.equal(plan.place.length, 3)
})

test('capacity: within a site the node with most free cpu, then memory, then name is chosen', () => {
  const nodes = [
    node('n-a', 'a', { cpu: 2000, memory: 2 * Gi }),
    node('n-b', 'a', { cpu: 3000, memory: 1 * Gi }),
    node('n-c', 'a', { cpu: 3000, memory: 2 * Gi }),
    node('n-d', 'a', { cpu: 3000, memory: 2 * Gi }),
  ]
  const plan = schedule(snap([site('a')], nodes), req({ replicas: 4, cpu: '1', memory: '0' }))
  // n-c and n-d tie at 3000/2Gi (name decides), n-b's 3000 then beats the used ones' 2000, and
  // n-a wins the three-way tie at 2000/2Gi by name.
  assert.deepEqual(plan.place.map((p) => p.node), ['n-c', 'n-d', 'n-b', 'n-a'])
})

test('capacity: an existing overcommitted node takes nothing new', () => {
  const s = snap([site('a')], [node('n', 'a', { cpu: 1000 })], [inst('db', 'n', 'a', { app: 'default/db', request: { cpu: 1500, memory: 0 } })])
  assert.deepEqual(schedule(s, req({ cpu: '1m' })).reasons, { [REASON.cpu]: 1 })
})
