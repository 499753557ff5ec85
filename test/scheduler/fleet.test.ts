// FleetIndex: one index kept current with put/delete gives the same plans as a snapshot listed
// afresh, whatever the order of the updates; schedule() never changes it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { FleetIndex } from '../../src/scheduler/fleet.js'
import { appRequest } from '../../src/scheduler/feasibility.js'
import type { PlacedInstance, Snapshot } from '../../src/scheduler/types.js'
import { fleet, gen, inst, node, req, shuffle, site } from './harness.js'

const json = (x: unknown) => JSON.stringify(x)

test('fleet: an index kept current over many plans matches a fresh snapshot at every step', () => {
  const g = gen(42)
  const base = fleet(12, 3, (i) => ({ region: ['eu', 'us', 'ap'][i % 3], geo: { lat: i * 5, lon: i * 10 }, price: (i % 4) / 10 }), { cpu: 2000 })
  const index = FleetIndex.from(base)
  let snapshot: Snapshot = { ...base, instances: [] }
  let seq = 0
  for (let k = 0; k < 40; k++) {
    const mode = g.pick(['fixed', 'weighted', 'capacity', 'demand'] as const)
    const r = req({
      name: `app${k % 7}`, replicas: g.int(0, 12), priority: g.int(0, 3), cpu: g.pick(['100m', '500m']),
      placement: mode === 'fixed' ? {} : { division: { mode, ...(mode === 'weighted' ? { weights: [{ region: 'eu', weight: 2 }, { region: 'ap', weight: 1 }] } : {}) } },
      demand: [{ point: { lat: g.int(0, 50), lon: g.int(0, 100) }, weight: 1 }],
    })
    const before = json(schedule(snapshot, r))
    const plan = schedule(index, r)
    assert.equal(json(plan), before, `step ${k}`)
    assert.equal(json(schedule(index, r)), before, `step ${k}: schedule() changed the index`)
    // Apply to both, the index in a shuffled order.
    const gone = new Set([...plan.remove, ...plan.preempt.map((p) => p.victim)])
    const added = plan.place.map((p): PlacedInstance => ({ name: `i${seq++}`, app: r.appKey, revision: r.revision, node: p.node, site: p.site, request: appRequest(r.app), priority: r.app.spec.priority ?? 0 }))
    snapshot = { ...snapshot, instances: snapshot.instances.filter((i) => !gone.has(i.name)).concat(added) }
    for (const n of shuffle(g, [...gone])) index.deleteInstance(n)
    for (const i of shuffle(g, added)) index.putInstance(i)
  }
  assert.equal(index.instanceCount, snapshot.instances.length)
})

test('fleet: nodes and sites can change under it; instances on unknown nodes count once their node appears', () => {
  const index = new FleetIndex()
  index.putInstance(inst('early', 'n1', 'a', { app: 'default/db', request: { cpu: 3000, memory: 0 } }))
  index.putSite(site('a'))
  index.putNode(node('n1', 'a', { cpu: 4000 }))
  assert.deepEqual(index.used('n1'), { cpu: 3000, memory: 0 })
  assert.deepEqual(schedule(index, req({ replicas: 2, cpu: '1' })).place.length, 1)
  // The node moves to another site; the old site disappears with it.
  index.putSite(site('b'))
  index.putNode(node('n1', 'b', { cpu: 4000 }))
  assert.deepEqual(index.sites().map((s) => [s.name, s.nodes.length]), [['a', 0], ['b', 1]])
  index.deleteSite('a')
  assert.deepEqual(index.sites().map((s) => s.name), ['b'])
  index.deleteNode('n1')
  assert.equal(schedule(index, req({ replicas: 1 })).unplaced, 1)
  index.putNode(node('n1', 'b', { cpu: 4000 }))
  assert.deepEqual(index.used('n1'), { cpu: 3000, memory: 0 }, 'the instance still counts')
})

test('fleet: fractional requests sum in name order, so the result never depends on history', () => {
  const a = new FleetIndex()
  const b = new FleetIndex()
  a.putNode(node('n', 's'))
  b.putNode(node('n', 's'))
  const parts = [0.1, 0.2, 0.3, 0.7, 1e-9].map((cpu, k) => inst(`x${k}`, 'n', 's', { request: { cpu, memory: 0 } }))
  for (const i of parts) a.putInstance(i)
  for (const i of [...parts].reverse()) b.putInstance(i)
  assert.equal(a.used('n').cpu, b.used('n').cpu)
})
