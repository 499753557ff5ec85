// Existing instances: kept where they are (no churn), scale up around them, scale down from the
// most loaded domain, replacement when a node disappears or a site stops matching.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { REASON } from '../../src/scheduler/feasibility.js'
import { Harness, fleet, inst, perSite, req, snap, site, node } from './harness.js'
import type { Plan, Snapshot } from '../../src/scheduler/types.js'

const EMPTY = { place: [], remove: [], unplaced: 0, reasons: {} }
/** The fields a plan had before failover, preemption and explanations (those have their own tests). */
const legacy = ({ place, remove, unplaced, reasons, message }: Plan) => ({ place, remove, unplaced, reasons, message })

test('reconcile: nothing changed → empty plan', () => {
  const h = new Harness(fleet(3, 2))
  h.step(req({ replicas: 5 }))
  const again = h.run(req({ replicas: 5 }))
  assert.deepEqual(legacy(again), { ...EMPTY, message: '5/5 replicas placed on 3 sites' })
})

test('reconcile: existing instances count, even badly spread ones are not moved', () => {
  const s = fleet(3, 1)
  s.instances = [inst('w0', 's0-n0', 's0'), inst('w1', 's0-n0', 's0'), inst('w2', 's0-n0', 's0')]
  const h = new Harness(s)
  const plan = h.run(req({ replicas: 5 }))
  assert.deepEqual(plan.remove, [])
  assert.deepEqual(perSite(plan), { s1: 1, s2: 1 })
})

test('reconcile: scale up fills the least loaded domains first', () => {
  const h = new Harness(fleet(3, 1))
  h.step(req({ replicas: 4 }))
  assert.deepEqual(h.count(), { s0: 2, s1: 1, s2: 1 })
  const up = h.step(req({ replicas: 6 }))
  assert.deepEqual(up.remove, [])
  assert.deepEqual(perSite(up), { s1: 1, s2: 1 })
  assert.deepEqual(h.count(), { s0: 2, s1: 2, s2: 2 })
})

test('reconcile: scale down removes from the most loaded site and undoes the last scale-up', () => {
  const h = new Harness(fleet(3, 1))
  h.step(req({ replicas: 7 }))
  assert.deepEqual(h.count(), { s0: 3, s1: 2, s2: 2 })
  const down = h.step(req({ replicas: 4 }))
  assert.deepEqual(down.place, [])
  assert.equal(down.remove.length, 3)
  assert.deepEqual(h.count(), { s0: 2, s1: 1, s2: 1 }, 'the same spread a fresh placement of 4 gives')
  assert.equal(down.message, '4/4 replicas placed on 3 sites')
})

test('reconcile: scale down by region keeps regions balanced', () => {
  const s = fleet(4, 1, (i) => ({ region: i < 3 ? 'eu' : 'us' }))
  s.instances = [inst('a', 's0-n0', 's0'), inst('b', 's1-n0', 's1'), inst('c', 's2-n0', 's2'), inst('d', 's3-n0', 's3')]
  const h = new Harness(s)
  const plan = h.step(req({ replicas: 2, placement: { spread: { by: 'region' } } }))
  assert.deepEqual(plan.remove, ['b', 'c'], 'eu is the most loaded region; its last sites go first')
  assert.deepEqual(h.count(), { s0: 1, s3: 1 })
})

test('reconcile: scale down prefers instances on NotReady, then cordoned nodes, then the busiest node', () => {
  const s = snap([site('a')], [node('n0', 'a'), node('n1', 'a', { ready: false }), node('n2', 'a', { unschedulable: true })], [
    inst('w0', 'n0', 'a'), inst('w1', 'n0', 'a'), inst('w2', 'n0', 'a'), inst('w3', 'n1', 'a'), inst('w4', 'n2', 'a'),
  ])
  const h = new Harness(s)
  assert.deepEqual(h.run(req({ replicas: 4 })).remove, ['w3'])
  assert.deepEqual(h.run(req({ replicas: 3 })).remove, ['w3', 'w4'])
  assert.deepEqual(h.run(req({ replicas: 2 })).remove, ['w2', 'w3', 'w4'])
})

test('reconcile: replicas 0 removes every instance of the revision', () => {
  const h = new Harness(fleet(2, 1))
  h.step(req({ replicas: 3 }))
  const plan = h.step(req({ replicas: 0 }))
  assert.equal(plan.remove.length, 3)
  assert.deepEqual(h.count(), {})
  assert.equal(plan.message, '0/0 replicas placed on 0 sites')
})

test('reconcile: instances on NotReady nodes and cordoned sites are kept (edge autonomy)', () => {
  const s = snap([site('a', { unschedulable: true }), site('b')], [node('a-n', 'a', { ready: false }), node('b-n', 'b')], [inst('w0', 'a-n', 'a'), inst('w1', 'a-n', 'a')])
  const plan = new Harness(s).run(req({ replicas: 3 }))
  assert.deepEqual(plan.remove, [])
  assert.deepEqual(perSite(plan), { b: 1 })
})

test('reconcile: an instance whose node is gone is replaced', () => {
  const s = fleet(2, 1)
  s.instances = [inst('w0', 's0-n0', 's0'), inst('w1', 'vanished', 's1')]
  const plan = new Harness(s).run(req({ replicas: 2 }))
  assert.deepEqual(plan.remove, ['w1'])
  assert.deepEqual(plan.place, [{ node: 's1-n0', site: 's1' }])
})

test('reconcile: instances on a site that stops matching are removed and replaced', () => {
  const h = new Harness(fleet(3, 1, (i) => ({ labels: { zone: i === 0 ? 'old' : 'new' } })))
  h.step(req({ replicas: 3 }))
  const plan = h.step(req({ replicas: 3, placement: { siteSelector: { matchLabels: { zone: 'new' } } } }))
  assert.equal(plan.remove.length, 1)
  assert.deepEqual(perSite(plan), { s1: 1 }, 's1 and s2 hold one each: the tie goes to the first name')
  assert.deepEqual(h.count(), { s1: 2, s2: 1 })
})

test('reconcile: a site whose region changes is vacated', () => {
  const h = new Harness(fleet(2, 1))
  h.step(req({ replicas: 2, placement: { regions: ['eu'] } }))
  h.snapshot = { ...h.snapshot, sites: h.snapshot.sites.map((x) => (x.name === 's1' ? { ...x, region: 'us' } : x)) }
  const plan = h.step(req({ replicas: 2, placement: { regions: ['eu'] } }))
  assert.equal(plan.remove.length, 1)
  assert.deepEqual(plan.place, [{ node: 's0-n0', site: 's0' }])
  assert.deepEqual(h.count(), { s0: 2 })
})

test('reconcile: a removed instance that cannot be replaced leaves a shortfall with reasons', () => {
  const h = new Harness(fleet(1, 1))
  h.step(req({ replicas: 1 }))
  const plan = h.run(req({ replicas: 1, placement: { tiers: ['central'] } }))
  assert.equal(plan.remove.length, 1)
  assert.deepEqual(plan.place, [])
  assert.equal(plan.unplaced, 1)
  assert.deepEqual(plan.reasons, { [REASON.tier]: 1 })
})

test('reconcile: lowering maxPerSite moves the excess to other sites', () => {
  const s: Snapshot = fleet(2, 1)
  s.instances = [inst('w0', 's0-n0', 's0'), inst('w1', 's0-n0', 's0'), inst('w2', 's0-n0', 's0')]
  const plan = new Harness(s).run(req({ replicas: 3, placement: { maxPerSite: 2 } }))
  assert.deepEqual(plan.remove, ['w2'])
  assert.deepEqual(plan.place, [{ node: 's1-n0', site: 's1' }])
})

test('reconcile: instances of other revisions are neither counted nor removed', () => {
  const s = fleet(2, 1)
  s.instances = [inst('old0', 's0-n0', 's0', { revision: 'r0' }), inst('old1', 's1-n0', 's1', { revision: 'r0' })]
  const plan = new Harness(s).run(req({ replicas: 2 }, 'r1'))
  assert.deepEqual(plan.remove, [])
  assert.equal(plan.place.length, 2)
})

test('reconcile: the node is the truth for where an instance is, not the copy of the site on it', () => {
  const s = fleet(2, 1, (i) => ({ region: i === 0 ? 'eu' : 'us' }))
  s.instances = [inst('w0', 's0-n0', 's1')] // says s1 (us), but its node is in s0 (eu)
  const plan = new Harness(s).run(req({ replicas: 1, placement: { regions: ['eu'] } }))
  assert.deepEqual(legacy(plan), { ...EMPTY, message: '1/1 replicas placed on 1 site' })
})
