// Plan.decisions: every site the plan touches, then the best of the others up to `explain`, each
// with its replica count and reason; the rest counted. Reasons are short and name the cause.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { fleet, inst, node, req, site, snap } from './harness.js'

const T0 = 1_700_000_000_000

test('decisions: one per site with its reason, touched sites first, in name order', () => {
  const s = snap(
    [site('a'), site('b', { region: 'us' }), site('c', { unschedulable: true }), site('d'), site('e'), site('f')],
    [node('a-n', 'a'), node('b-n', 'b'), node('c-n', 'c'), node('d-n', 'd', { ready: false }), node('e-n', 'e', { cpu: 100 }), node('f-n', 'f', { ready: false, notReadySince: T0 })],
    [inst('w0', 'e-n', 'e'), inst('w1', 'f-n', 'f')],
  )
  const plan = schedule(s, req({ replicas: 3, now: T0 + 90_000, placement: { regions: ['eu'] } }))
  assert.deepEqual(plan.decisions.map((d) => [d.site, d.replicas, d.reason]), [
    ['a', 2, '2 (2 placed): even spread by site'],
    ['e', 1, '1: even spread by site'],
    ['f', 0, '0: failed over (NotReady 90s); 1 lost on failed nodes (not counted, not removed)'],
    ['b', 0, '0: region mismatch'],
    ['c', 0, '0: site unschedulable'],
    ['d', 0, '0: no ready nodes'],
  ])
  assert.equal(plan.decisionsOmitted, 0)
  assert.equal(plan.decisions.find((d) => d.site === 'b')!.score, undefined, 'excluded sites have no score')
})

test('decisions: sites that hold nothing and could have taken replicas say so', () => {
  const plan = schedule(fleet(3, 1), req({ replicas: 1 }))
  assert.deepEqual(plan.decisions.map((d) => d.reason), ['1 (1 placed): even spread by site', '0: other sites preferred (fewer replicas or a better score)', '0: other sites preferred (fewer replicas or a better score)'])
  const full = schedule(snap([site('a'), site('b')], [node('a-n', 'a'), node('b-n', 'b', { cpu: 50 })]), req({ replicas: 1 }))
  assert.equal(full.decisions[1].reason, '0: insufficient cpu')
})

test('decisions: kept, removed and surplus counts are shown', () => {
  const s = fleet(2, 1)
  s.instances = [inst('a', 's0-n0', 's0', { ready: true }), inst('b', 's0-n0', 's0', { ready: true }), inst('c', 's1-n0', 's1', { ready: false })]
  const plan = schedule(s, req({ replicas: 1, now: T0 }))
  assert.deepEqual(plan.decisions.map((d) => [d.site, d.replicas, d.removed, d.surplus, d.reason]), [
    ['s0', 1, 1, undefined, '1: even spread by site; 1 removed'],
    ['s1', 0, 1, undefined, '0: other sites preferred (fewer replicas or a better score); 1 removed'],
  ])
})

test('decisions: `explain` bounds the untouched sites listed; the best-scored come first, then excluded ones by name', () => {
  const s = fleet(30, 1, (i) => ({ price: i, region: i % 2 ? 'us' : 'eu' }))
  const plan = schedule(s, req({ replicas: 2, placement: { regions: ['eu'], scoring: { capacity: 0, distance: 0, cost: 1, spread: 0 } }, explain: 3 }))
  assert.deepEqual(plan.decisions.map((d) => d.site), ['s0', 's2', 's4', 's6', 's8'])
  assert.equal(plan.decisionsOmitted, 25)
  const mismatches = schedule(s, req({ replicas: 0, placement: { regions: ['nowhere'] }, explain: 2 }))
  assert.deepEqual(mismatches.decisions.map((d) => d.site), ['s0', 's1'])
  assert.equal(schedule(s, req({ replicas: 2, explain: Infinity })).decisions.length, 30)
  assert.equal(schedule(s, req({ replicas: 2, explain: 0 })).decisions.length, 2)
})

test('decisions: reasons are still counted per site when replicas are left over', () => {
  const s = snap([site('a'), site('b', { tier: 'central' }), site('c')], [node('a-n', 'a', { cpu: 100 }), node('b-n', 'b'), node('c-n', 'c', { cpu: 100 })])
  const plan = schedule(s, req({ replicas: 4, placement: { tiers: ['edge'] } }))
  assert.equal(plan.unplaced, 2)
  assert.deepEqual(plan.reasons, { 'insufficient cpu': 2, 'tier mismatch': 1 })
  assert.equal(plan.message, '0/3 sites available: 2 insufficient cpu, 1 tier mismatch')
})
