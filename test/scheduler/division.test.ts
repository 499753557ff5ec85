// Division modes other than fixed: weighted, capacity and demand. Each divides the replicas in
// proportion (whole replicas by largest remainder), respects caps and maxPerSite, overflows to the
// next-best sites, and moves replicas only when the spread is clearly off (hysteresis).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { divide } from '../../src/scheduler/divide.js'
import { REASON } from '../../src/scheduler/feasibility.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import type { DemandPoint } from '../../src/scheduler/types.js'
import { Harness, fleet, inst, node, perSite, req, site, snap } from './harness.js'

const T0 = 1_000_000_000
const PARIS = { lat: 48.86, lon: 2.35 }
const BERLIN = { lat: 52.52, lon: 13.4 }
const NEW_YORK = { lat: 40.71, lon: -74.0 }
const TOKYO = { lat: 35.68, lon: 139.69 }
const MADRID = { lat: 40.42, lon: -3.7 }

/** s0 Paris, s1 Berlin (eu), s2 New York (us), s3 Tokyo (ap); two 4-core nodes each. */
const world = () => fleet(4, 2, (i) => ({ region: ['eu', 'eu', 'us', 'ap'][i], geo: [PARIS, BERLIN, NEW_YORK, TOKYO][i] }))
const at = (point: { lat: number; lon: number }, weight: number): DemandPoint => ({ point, weight })

test('divide: proportional, largest remainder, ties to the earlier (or preferred) item', () => {
  assert.deepEqual([...divide(10, [1, 1, 2], [Infinity, Infinity, Infinity]).target], [3, 2, 5])
  assert.deepEqual([...divide(3, [1, 1, 1, 1], [9, 9, 9, 9]).target], [1, 1, 1, 0])
  assert.deepEqual([...divide(3, [1, 1, 1, 1], [9, 9, 9, 9], (a, b) => b - a).target], [0, 1, 1, 1], 'a preference reverses the ties')
  const d = divide(7, [3, 1], [100, 100])
  assert.deepEqual([...d.share], [5.25, 1.75])
  assert.deepEqual([...d.target], [5, 2])
})

test('divide: caps fill first and the rest is divided among the others (water-filling)', () => {
  const d = divide(10, [8, 1, 1], [2, 100, 100])
  assert.deepEqual([...d.share], [2, 4, 4])
  assert.deepEqual([...d.target], [2, 4, 4])
  // More than every cap: each gets its cap.
  assert.deepEqual([...divide(50, [1, 1], [3, 4]).target], [3, 4])
  // Zero weights and zero caps take nothing.
  assert.deepEqual([...divide(4, [0, 1, 1], [9, 0, 9]).target], [0, 0, 4])
  assert.deepEqual([...divide(0, [1], [9]).target], [0])
})

test('divide: targets never exceed caps and sum to min(total, Σ caps) (randomised)', () => {
  let seed = 7
  const r = () => ((seed = (seed * 48271) % 2147483647) / 2147483647)
  for (let k = 0; k < 300; k++) {
    const n = 1 + Math.floor(r() * 30)
    const weights = Array.from({ length: n }, () => (r() < 0.2 ? 0 : r() * 10))
    const caps = Array.from({ length: n }, () => (r() < 0.1 ? Infinity : Math.floor(r() * 6)))
    const total = Math.floor(r() * 60)
    const { share, target } = divide(total, weights, caps)
    let capSum = 0
    weights.forEach((w, i) => { if (w > 0) capSum += caps[i] })
    assert.equal(target.reduce((a, b) => a + b, 0), Math.min(total, capSum), `case ${k}`)
    target.forEach((t, i) => {
      assert.ok(t <= caps[i] && share[i] <= caps[i] + 1e-9, `case ${k}: item ${i} over its cap`)
      assert.ok(Math.abs(t - share[i]) < 1 + 1e-9, `case ${k}: item ${i} target ${t} far from share ${share[i]}`)
      if (weights[i] === 0) assert.equal(t, 0)
    })
  }
})

test('weighted: regions divide by weight, each region evenly over its sites; unweighted sites get nothing', () => {
  const plan = schedule(world(), req({ replicas: 8, placement: { division: { mode: 'weighted', weights: [{ region: 'eu', weight: 3 }, { region: 'us', weight: 1 }] } } }))
  assert.deepEqual(perSite(plan), { s0: 3, s1: 3, s2: 2 })
  assert.equal(plan.unplaced, 0)
  const s3 = plan.decisions.find((d) => d.site === 's3')!
  assert.equal(s3.replicas, 0)
  assert.match(s3.reason, /weight 0/)
  assert.match(plan.decisions.find((d) => d.site === 's0')!.reason, /^3 \(3 placed\): weight 3, share 3/)
})

test('weighted: the most specific entry wins (a site entry beats its region)', () => {
  const weights = [{ region: 'eu', weight: 1 }, { site: 's1', weight: 3 }, { provider: 'own', weight: 0 }]
  const plan = schedule(world(), req({ replicas: 8, placement: { division: { mode: 'weighted', weights } } }))
  // eu (only s0 left in that group) 1 part, s1 3 parts, us/ap match only the provider entry: weight 0.
  assert.deepEqual(perSite(plan), { s0: 2, s1: 6 })
})

test('weighted: a full group overflows to the other groups', () => {
  const s = world()
  s.nodes = s.nodes.map((n) => (n.site === 's2' ? { ...n, allocatable: { ...n.allocatable, cpu: 100 } } : n)) // us holds 2 replicas
  const plan = schedule(s, req({ replicas: 8, placement: { division: { mode: 'weighted', weights: [{ region: 'eu', weight: 1 }, { region: 'us', weight: 1 }] } } }))
  assert.deepEqual(perSite(plan), { s0: 3, s1: 3, s2: 2 })
  assert.equal(plan.unplaced, 0)
})

test('capacity: replicas in proportion to the free capacity of each site', () => {
  const s = snap([site('a'), site('b'), site('c')], [
    node('a0', 'a'),
    node('b0', 'b'), node('b1', 'b'),
    node('c0', 'c'), node('c1', 'c'), node('c2', 'c'), node('c3', 'c'),
  ])
  const plan = schedule(s, req({ replicas: 14, placement: { division: { mode: 'capacity' } } }))
  assert.deepEqual(perSite(plan), { a: 2, b: 4, c: 8 })
  // Capacity another app uses counts against the site.
  s.instances = [inst('db', 'c0', 'c', { app: 'default/db', request: { cpu: 4000, memory: 0 } }), inst('db2', 'c1', 'c', { app: 'default/db', request: { cpu: 4000, memory: 0 } })]
  assert.deepEqual(perSite(schedule(s, req({ replicas: 10, placement: { division: { mode: 'capacity' } } }))), { a: 2, b: 4, c: 4 })
})

test('capacity: kept replicas do not shrink their own site\'s share (a second plan changes nothing)', () => {
  const h = new Harness(snap([site('a'), site('b')], [node('a0', 'a', { cpu: 1000 }), node('b0', 'b', { cpu: 3000 })]))
  const r = req({ replicas: 8, cpu: '250m', placement: { division: { mode: 'capacity' } } })
  h.step(r)
  assert.deepEqual(h.count(), { a: 2, b: 6 })
  const again = h.run(r)
  assert.deepEqual([again.place, again.remove, again.surplus], [[], [], []])
})

test('demand: replicas go to the sites nearest to each demand point, in proportion', () => {
  const demand = [at(PARIS, 60), at(MADRID, 15), at(NEW_YORK, 25)] // Madrid's nearest site is Paris
  const plan = schedule(world(), req({ replicas: 8, demand, placement: { division: { mode: 'demand' } } }))
  assert.deepEqual(perSite(plan), { s0: 6, s2: 2 })
  const d0 = plan.decisions.find((d) => d.site === 's0')!
  assert.match(d0.reason, /nearest to 75% of demand, share 6/)
  assert.equal(d0.target, 6)
  assert.match(plan.decisions.find((d) => d.site === 's3')!.reason, /^0: no demand nearer to it than to other sites/)
})

test('demand: a full site spills its demand to the next-nearest sites, not to far ones', () => {
  const s = world()
  s.nodes = s.nodes.map((n) => (n.site === 's0' ? { ...n, allocatable: { ...n.allocatable, cpu: 100 } } : n)) // Paris holds 2
  const plan = schedule(s, req({ replicas: 6, demand: [at(PARIS, 90), at(TOKYO, 10)], placement: { division: { mode: 'demand' } } }))
  // Paris' share (5.4) is capped at 2; its rest goes to Berlin (next-nearest), not to Tokyo.
  assert.deepEqual(perSite(plan), { s0: 2, s1: 3, s3: 1 })
})

test('demand: without any demand reported it spreads like fixed', () => {
  const plan = schedule(world(), req({ replicas: 4, placement: { division: { mode: 'demand' } } }))
  assert.deepEqual(perSite(plan), { s0: 1, s1: 1, s2: 1, s3: 1 })
  assert.match(plan.decisions[0].reason, /even spread by site \(no demand reported\)/)
})

test('demand: replicas follow demand that moves, the old ones stopping once the new ones are ready', () => {
  const h = new Harness(world())
  const placement: PlacementSpec = { division: { mode: 'demand' } }
  h.step(req({ replicas: 2, now: T0, demand: [at(PARIS, 100)], placement }), { ready: true })
  assert.deepEqual(h.count(), { s0: 2 })
  // Demand moves to New York: a new replica there, Paris' surplus held until it is ready.
  const move = h.step(req({ replicas: 2, now: T0 + 10_000, demand: [at(NEW_YORK, 100)], placement }), { ready: false })
  assert.deepEqual(perSite(move), { s2: 1 }, 'one move at a time (a quarter of the replicas, at least one)')
  assert.deepEqual(move.remove, [])
  assert.equal(move.surplus.length, 1)
  assert.match(move.decisions.find((d) => d.site === 's0')!.reason, /above its target of 0, moving away as replacements get ready/)
  // Ready: the surplus goes; then the second move, the same way.
  h.setReady(true)
  const next = h.step(req({ replicas: 2, now: T0 + 20_000, demand: [at(NEW_YORK, 100)], placement }))
  assert.equal(next.remove.length, 1)
  assert.deepEqual(h.count(), { s0: 1, s2: 1 })
  const second = h.step(req({ replicas: 2, now: T0 + 30_000, demand: [at(NEW_YORK, 100)], placement }), { ready: true })
  assert.deepEqual([perSite(second), second.surplus.length], [{ s2: 1 }, 1])
  h.step(req({ replicas: 2, now: T0 + 40_000, demand: [at(NEW_YORK, 100)], placement }))
  assert.deepEqual(h.count(), { s2: 2 })
  const settled = h.run(req({ replicas: 2, now: T0 + 50_000, demand: [at(NEW_YORK, 100)], placement }))
  assert.deepEqual([settled.place, settled.remove, settled.surplus], [[], [], []])
})

test('hysteresis: a small swing in demand moves nothing', () => {
  const h = new Harness(world())
  const placement: PlacementSpec = { division: { mode: 'demand' } }
  h.step(req({ replicas: 10, now: T0, demand: [at(PARIS, 50), at(NEW_YORK, 50)], placement }), { ready: true })
  assert.deepEqual(h.count(), { s0: 5, s2: 5 })
  for (const [p, n] of [[55, 45], [45, 55], [58, 42]]) {
    const plan = h.step(req({ replicas: 10, now: T0 + 1000, demand: [at(PARIS, p), at(NEW_YORK, n)], placement }), { ready: true })
    assert.deepEqual([plan.place, plan.remove, plan.surplus], [[], [], []], `${p}/${n}`)
  }
  // A clear shift (80/20) does move: New York holds 5 for a share of 2 (band up to 3), so 2 move
  // to Paris; New York's two wait as surplus until the new ones are ready.
  const plan = h.run(req({ replicas: 10, now: T0 + 2000, demand: [at(PARIS, 80), at(NEW_YORK, 20)], placement }))
  assert.deepEqual(perSite(plan), { s0: 2 })
  assert.equal(plan.surplus.length, 2)
  // 70/30 is within the band of New York's share (3, up to ceil(3.6) = 4)? 5 > 4: one moves.
  assert.deepEqual(perSite(h.run(req({ replicas: 10, now: T0 + 2000, demand: [at(PARIS, 70), at(NEW_YORK, 30)], placement }))), { s0: 1 })
})

test('scale down in a target mode takes from the sites furthest above their target', () => {
  const h = new Harness(world())
  const placement: PlacementSpec = { division: { mode: 'weighted', weights: [{ region: 'eu', weight: 1 }, { region: 'us', weight: 1 }] } }
  h.step(req({ replicas: 8, placement }))
  assert.deepEqual(h.count(), { s0: 2, s1: 2, s2: 4 })
  const down = h.step(req({ replicas: 4, placement }))
  assert.equal(down.remove.length, 4)
  assert.deepEqual(h.count(), { s0: 1, s1: 1, s2: 2 })
})

for (const mode of ['fixed', 'weighted', 'capacity', 'demand'] as const) {
  test(`maxPerSite holds in mode ${mode}, the rest overflowing or left unplaced with its reason`, () => {
    const placement: PlacementSpec = { maxPerSite: 2, ...(mode === 'fixed' ? {} : { division: { mode, ...(mode === 'weighted' ? { weights: [{ region: 'eu', weight: 5 }, { region: 'us', weight: 1 }] } : {}) } }) }
    const plan = schedule(world(), req({ replicas: 12, demand: [at(PARIS, 1)], placement }))
    for (const [s, n] of Object.entries(perSite(plan))) assert.ok(n <= 2, `${s} holds ${n}`)
    const sites = mode === 'weighted' ? 3 : 4
    assert.equal(plan.place.length, 2 * sites)
    assert.equal(plan.unplaced, 12 - 2 * sites)
    assert.equal(plan.reasons[REASON.maxPerSite], sites)
  })
}
