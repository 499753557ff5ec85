// Demand preparation: invalid points dropped, many points coarsened to a bounded number of
// weighted centroids, independently of their order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_POINTS, closeness, prepareDemand, toVec } from '../../src/scheduler/geo.js'
import { gen, shuffle } from './harness.js'

test('geo: invalid points are dropped; no valid point means no demand', () => {
  assert.equal(prepareDemand(undefined), undefined)
  assert.equal(prepareDemand([{ point: { lat: 1, lon: 1 }, weight: 0 }, { point: { lat: NaN, lon: 1 }, weight: 3 }, { point: { lat: 1, lon: 1 }, weight: -2 }]), undefined)
  const d = prepareDemand([{ point: { lat: 10, lon: 10 }, weight: 2 }, { point: { lat: 10, lon: 10 }, weight: 3 }])!
  assert.deepEqual([d.points.length, d.total], [1, 5], 'identical points merge')
})

test('geo: many points are coarsened to at most MAX_POINTS, keeping the total, whatever their order', () => {
  const g = gen(3)
  const pts = Array.from({ length: 2000 }, () => ({ point: { lat: g.int(-60, 60) + g.rand(), lon: g.int(-180, 179) + g.rand() }, weight: g.int(1, 9) }))
  const d = prepareDemand(pts)!
  assert.ok(d.points.length <= MAX_POINTS && d.points.length > MAX_POINTS / 4, `${d.points.length}`)
  assert.equal(d.total, pts.reduce((a, p) => a + p.weight, 0))
  assert.deepEqual(prepareDemand(shuffle(g, pts)), d)
})

test('geo: closeness is 1 on the demand and halves at about 500 km', () => {
  const d = prepareDemand([{ point: { lat: 0, lon: 0 }, weight: 1 }])!
  assert.equal(closeness(d, toVec({ lat: 0, lon: 0 })), 1)
  const km500 = 500 / 111.2 // degrees of longitude at the equator
  assert.ok(Math.abs(closeness(d, toVec({ lat: 0, lon: km500 })) - 0.5) < 0.01)
})
