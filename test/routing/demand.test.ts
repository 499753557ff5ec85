// Demand from gateway reports: located by prefix, summed per place, fading with time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DemandTracker } from '../../src/routing/demand.js'
import { createGeoLocator } from '../../src/routing/geo/locator.js'
import { parseGeoRules } from '../../src/routing/geo/rules.js'
import { ManualClock } from '../../src/lib/clock.js'

const geo = createGeoLocator({ mmdbFile: null, rules: parseGeoRules(`
- {cidr: 198.51.100.0/24, lat: 48.8566, lon: 2.3522, region: eu-west}
- {cidr: 203.0.113.0/24, lat: 35.6762, lon: 139.6503, region: ap-northeast}
`) })

test('demand: counts by client prefix become weighted places; unlocated prefixes are ignored', () => {
  const clock = new ManualClock()
  const d = new DemandTracker(geo, clock)
  d.record('Web.edge.test', { '198.51.100.0/24': 600, '203.0.113.0/24': 120, '10.0.0.0/24': 999 })
  d.record('web.edge.test', { '198.51.100.0/24': 600 })
  const pts = d.points('web.edge.test')
  assert.deepEqual(pts.map((p) => p.region), ['eu-west', 'ap-northeast'], 'heaviest first; private ranges have no place')
  assert.ok(Math.abs(pts[0].weight / pts[1].weight - 10) < 1e-9, 'weights keep the ratio of the counts')
  assert.ok(d.rate('web.edge.test') > 0)
  assert.deepEqual(d.points('other.edge.test'), [])
})

test('demand: old demand fades and disappears', () => {
  const clock = new ManualClock()
  const d = new DemandTracker(geo, clock)
  d.record('web.edge.test', { '198.51.100.0/24': 1000 })
  const fresh = d.rate('web.edge.test')
  clock.advance(120_000)
  const later = d.rate('web.edge.test')
  assert.ok(Math.abs(later / fresh - Math.exp(-1)) < 1e-6, 'decays with a 2-minute time constant')
  clock.advance(30 * 60_000)
  assert.deepEqual(d.points('web.edge.test'), [], 'faded out')
})
