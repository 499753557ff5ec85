// Site scores: free capacity, closeness to demand, cost, spread across regions and providers.
// They decide wherever the division leaves a choice; each weight can be turned off.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import { fleet, inst, perSite, req } from './harness.js'

const ONLY = (k: 'capacity' | 'distance' | 'cost' | 'spread'): PlacementSpec['scoring'] =>
  ({ capacity: 0, distance: 0, cost: 0, spread: 0, [k]: 1 })
const scores = (plan: ReturnType<typeof schedule>) => Object.fromEntries(plan.decisions.map((d) => [d.site, d.score]))

test('score: one replica goes to the site nearest to the demand', () => {
  const s = fleet(3, 1, (i) => ({ geo: [{ lat: 48.86, lon: 2.35 }, { lat: 40.71, lon: -74 }, { lat: 35.68, lon: 139.69 }][i] }))
  const plan = schedule(s, req({ replicas: 1, demand: [{ point: { lat: 40, lon: -75 }, weight: 1 }], explain: Infinity }))
  assert.deepEqual(perSite(plan), { s1: 1 })
  const sc = scores(plan)
  assert.ok(sc.s1! > sc.s0! && sc.s0! > sc.s2!, JSON.stringify(sc))
})

test('score: demand is weighted by point; sites without a location score nothing for distance', () => {
  const s = fleet(3, 1, (i) => (i === 2 ? {} : { geo: [{ lat: 48.86, lon: 2.35 }, { lat: 40.71, lon: -74 }][i] }))
  const demand = [{ point: { lat: 48.86, lon: 2.35 }, weight: 1 }, { point: { lat: 40.71, lon: -74 }, weight: 3 }]
  const plan = schedule(s, req({ replicas: 1, demand, placement: { scoring: ONLY('distance') }, explain: Infinity }))
  assert.deepEqual(perSite(plan), { s1: 1 })
  assert.equal(scores(plan).s2, 0)
})

test('score: the cheapest site wins, an unpriced one sits in the middle', () => {
  const s = fleet(3, 1, (i) => (i === 1 ? {} : { price: [0.09, 0, 0.03][i] }))
  const plan = schedule(s, req({ replicas: 1, placement: { scoring: ONLY('cost') }, explain: Infinity }))
  assert.deepEqual(perSite(plan), { s2: 1 })
  assert.deepEqual(scores(plan), { s0: 0, s1: 0.5, s2: 1 })
})

test('score: the roomier site wins on free capacity', () => {
  const s = fleet(3, 1)
  s.instances = [inst('db0', 's0-n0', 's0', { app: 'default/db', request: { cpu: 2000, memory: 0 } }), inst('db1', 's1-n0', 's1', { app: 'default/db', request: { cpu: 1000, memory: 0 } })]
  const plan = schedule(s, req({ replicas: 1, placement: { scoring: ONLY('capacity') }, explain: Infinity }))
  assert.deepEqual(perSite(plan), { s2: 1 })
  const sc = scores(plan)
  assert.ok(sc.s2! > sc.s1! && sc.s1! > sc.s0!, JSON.stringify(sc))
})

test('score: spread prefers regions and providers that hold fewer of the app\'s replicas', () => {
  const s = fleet(4, 1, (i) => ({ region: ['eu', 'eu', 'us', 'us'][i], provider: ['p1', 'p2', 'p1', 'p2'][i] }))
  s.instances = [inst('w0', 's0-n0', 's0')] // eu and p1 hold one
  const plan = schedule(s, req({ replicas: 2, placement: { division: { mode: 'capacity' }, scoring: ONLY('spread') }, explain: Infinity }))
  assert.deepEqual(perSite(plan), { s3: 1 }, 'us/p2 holds nothing')
  assert.deepEqual(scores(plan), { s0: 0, s1: 0.5, s2: 0.5, s3: 1 })
})

test('score: in fixed mode it only breaks ties between equally loaded sites', () => {
  const s = fleet(3, 1, (i) => ({ price: [0.3, 0.2, 0.1][i] }))
  const plan = schedule(s, req({ replicas: 4, placement: { scoring: ONLY('cost') } }))
  assert.deepEqual(perSite(plan), { s0: 1, s1: 1, s2: 2 }, 'even spread; the cheapest takes the remainder')
  assert.deepEqual(plan.place.map((p) => p.site), ['s2', 's1', 's0', 's2'], 'and the first replicas')
})

test('score: all weights 0 leaves the name order, and every score is within [0, 1]', () => {
  const s = fleet(3, 1, (i) => ({ price: [0.3, 0.2, 0.1][i], geo: { lat: i, lon: i } }))
  const none = schedule(s, req({ replicas: 1, placement: { scoring: { capacity: 0, distance: 0, cost: 0, spread: 0 } } }))
  assert.deepEqual(perSite(none), { s0: 1 })
  const all = schedule(s, req({ replicas: 1, demand: [{ point: { lat: 2, lon: 2 }, weight: 1 }], explain: Infinity }))
  for (const d of all.decisions) assert.ok(d.score! >= 0 && d.score! <= 1, `${d.site}: ${d.score}`)
})
