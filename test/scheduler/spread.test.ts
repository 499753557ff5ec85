// Division of replicas across spread domains (site, region, provider), maxPerSite and overflow.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { REASON } from '../../src/scheduler/feasibility.js'
import { fleet, node, perNode, perSite, req, site, snap } from './harness.js'
import type { Plan } from '../../src/scheduler/types.js'

const REGIONS = ['eu', 'eu', 'eu', 'us', 'ap'] // s0..s4
const PROVIDERS = ['p1', 'p1', 'p1', 'p1', 'p2']
const five = () => fleet(5, 2, (i) => ({ region: REGIONS[i], provider: PROVIDERS[i] }))

function byDomain(plan: Plan, domain: (site: number) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of plan.place) {
    const d = domain(Number(p.site.slice(1)))
    out[d] = (out[d] ?? 0) + 1
  }
  return out
}

test('spread: by site (the default) divides evenly, first names take the remainder', () => {
  const plan = schedule(five(), req({ replicas: 7 }))
  assert.deepEqual(perSite(plan), { s0: 2, s1: 2, s2: 1, s3: 1, s4: 1 })
  assert.equal(plan.message, '7/7 replicas placed on 5 sites')
})

test('spread: within a site, replicas spread across nodes', () => {
  const plan = schedule(fleet(1, 3), req({ replicas: 6 }))
  assert.deepEqual(perNode(plan), { 's0-n0': 2, 's0-n1': 2, 's0-n2': 2 })
})

test('spread: by region divides across regions, then across the sites of a region', () => {
  const plan = schedule(five(), req({ replicas: 6, placement: { spread: { by: 'region' } } }))
  assert.deepEqual(byDomain(plan, (i) => REGIONS[i]), { eu: 2, us: 2, ap: 2 })
  assert.deepEqual(perSite(plan), { s0: 1, s1: 1, s3: 2, s4: 2 })
})

test('spread: by provider', () => {
  const plan = schedule(five(), req({ replicas: 5, placement: { spread: { by: 'provider' } } }))
  assert.deepEqual(byDomain(plan, (i) => PROVIDERS[i]), { p1: 3, p2: 2 })
  assert.deepEqual(perSite(plan), { s0: 1, s1: 1, s2: 1, s4: 2 })
})

test('spread: decision order is balanced, so any prefix of the placements is balanced too', () => {
  const plan = schedule(five(), req({ replicas: 10, placement: { spread: { by: 'region' } } }))
  assert.deepEqual(plan.place.slice(0, 3).map((p) => REGIONS[Number(p.site.slice(1))]), ['ap', 'eu', 'us'])
})

test('spread: maxPerSite caps each site', () => {
  const plan = schedule(fleet(2, 2), req({ replicas: 5, placement: { maxPerSite: 2 } }))
  assert.deepEqual(perSite(plan), { s0: 2, s1: 2 })
  assert.equal(plan.unplaced, 1)
  assert.deepEqual(plan.reasons, { [REASON.maxPerSite]: 2 })
  assert.equal(plan.message, '0/2 sites available: 2 max per site reached')
})

test('spread: maxPerSite inside a region pushes the rest of the region to its other sites', () => {
  const plan = schedule(five(), req({ replicas: 3, placement: { spread: { by: 'region' }, regions: ['eu'], maxPerSite: 1 } }))
  assert.deepEqual(perSite(plan), { s0: 1, s1: 1, s2: 1 })
})

test('spread: a full domain overflows to the others', () => {
  // us (s3) has room for one replica only; the remaining ones go to eu and ap, still as even as they can be.
  const s = five()
  s.nodes = s.nodes.map((n) => (n.site === 's3' ? { ...n, allocatable: { ...n.allocatable, cpu: n.name.endsWith('n0') ? 100 : 0 } } : n))
  const plan = schedule(s, req({ replicas: 9, placement: { spread: { by: 'region' } } }))
  assert.deepEqual(byDomain(plan, (i) => REGIONS[i]), { eu: 4, us: 1, ap: 4 })
  assert.equal(plan.unplaced, 0)
})

test('spread: overflow across sites when one site is small', () => {
  const s = snap([site('a'), site('b')], [node('a-n', 'a', { cpu: 200 }), node('b-n', 'b')])
  const plan = schedule(s, req({ replicas: 6 }))
  assert.deepEqual(perSite(plan), { a: 2, b: 4 })
})

test('spread: infeasible sites do not count as domains', () => {
  const s = five()
  s.sites = s.sites.map((x) => (x.name === 's4' ? { ...x, unschedulable: true } : x))
  const plan = schedule(s, req({ replicas: 4, placement: { spread: { by: 'region' } } }))
  assert.deepEqual(byDomain(plan, (i) => REGIONS[i]), { eu: 2, us: 2 })
})
