// The session placement rules as a pure function, and the two in-memory estimates it is fed with
// (cold start per site, drain rate per pool), on injected times.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closenessKm, COLD_START_MARGIN, kmCloseness, placeSession, type SiteOption } from '../../src/sessions/placement.js'
import { ColdStarts, COLD_START_PRIOR_MS } from '../../src/sessions/cold-starts.js'
import { DrainRate, DRAIN_WINDOW_MS } from '../../src/sessions/drain-rate.js'
import { closeness, unitVector } from '../../src/sessions/nearest.js'

const opt = (site: string, km: number | undefined, o: Partial<SiteOption> = {}): SiteOption => ({ site, km, warm: false, coldMs: 300, measured: true, ...o })

test('placement: a warm slot at the nearest site wins', () => {
  const p = placeSession([opt('hangzhou', 165, { warm: true }), opt('frankfurt', 8800, { warm: true })], { maxKm: 1500, leftMs: 2000 })
  assert.deepEqual(p, { site: 'hangzhou', start: 'warm', km: 165, reason: 'warm slot at hangzhou (165 km), nearest within maxDistanceKm 1500' })
})

test('placement: a cold start next door beats a warm slot farther away, when it fits the time left', () => {
  const options = [opt('hangzhou', 165), opt('shanghai-2', 900, { warm: true })]
  const p = placeSession(options, { maxKm: 1500, leftMs: 2000 })
  assert.ok(!('refused' in p))
  assert.deepEqual([p.site, p.start], ['hangzhou', 'cold'])
  assert.match(p.reason, /measured cold start ~300 ms fits the 2000 ms left; preferred over the warm slot at shanghai-2 \(900 km\)/)
  // The same cold start with too little time left (300 × margin > 400): the warm slot within the budget.
  const q = placeSession(options, { maxKm: 1500, leftMs: 300 * COLD_START_MARGIN - 1 })
  assert.ok(!('refused' in q))
  assert.deepEqual([q.site, q.start], ['shanghai-2', 'warm'])
  assert.match(q.reason, /passed over: hangzhou \(165 km\): no warm slot, and a measured cold start ~300 ms would not fit/)
})

test('placement: beyond the budget never, even warm; a refusal names every site with its reason', () => {
  const p = placeSession([opt('hangzhou', 165, { full: 'all 12 instances busy' }), opt('frankfurt', 8800, { warm: true }), opt('nowhere', undefined, { warm: true })], { maxKm: 1500, leftMs: 2000 })
  assert.deepEqual(p, { refused: ['hangzhou (165 km): all 12 instances busy', 'frankfurt (8800 km): beyond maxDistanceKm 1500', 'nowhere: position unknown (maxDistanceKm 1500 cannot be checked)'] })
})

test('placement: when no cold start is expected to fit, the nearest growable site is still tried; without a client position no budget applies', () => {
  const p = placeSession([opt('a', 10, { coldMs: 5000 }), opt('b', 20, { coldMs: 4000, full: 'all 1 instances busy' })], { maxKm: 1500, leftMs: 2000 })
  assert.ok(!('refused' in p))
  assert.deepEqual([p.site, p.start], ['a', 'cold'])
  assert.match(p.reason, /tried although it may not fit/)
  const q = placeSession([opt('far', undefined, { warm: true })], { leftMs: 2000 })
  assert.ok(!('refused' in q))
  assert.equal(q.site, 'far')
  assert.match(q.reason, /client position unknown/)
})

test('placement: distances from closeness agree with the great circle (Shanghai–Hangzhou ~165 km, –Frankfurt ~8,800 km)', () => {
  const sh = unitVector({ lat: 31.2304, lon: 121.4737 })
  const hz = unitVector({ lat: 30.27, lon: 120.15 })
  const fra = unitVector({ lat: 50.11, lon: 8.68 })
  assert.ok(Math.abs(closenessKm(closeness(sh, hz)) - 167) < 5)
  assert.ok(Math.abs(closenessKm(closeness(sh, fra)) - 8800) < 100)
  assert.ok(closeness(sh, hz) > kmCloseness(1500) && closeness(sh, fra) < kmCloseness(1500))
})

test('cold starts: the prior until one is seen, then a moving average per pool', () => {
  const c = new ColdStarts()
  assert.deepEqual(c.expected('g|hz'), { ms: COLD_START_PRIOR_MS, measured: false })
  c.started('g|hz', 'g/i1', 1000)
  c.started('g|hz', 'g/i1', 1200) // seen again before ready: the first sighting counts
  c.ready('g/i1', 1300)
  assert.deepEqual(c.expected('g|hz'), { ms: 300, measured: true })
  c.started('g|hz', 'g/i2', 2000)
  c.ready('g/i2', 3000)
  assert.equal(c.expected('g|hz').ms, 300 + 0.3 * 700)
  c.started('g|hz', 'g/i3', 4000)
  c.gone('g/i3')
  c.ready('g/i3', 9000)
  assert.equal(c.expected('g|hz').ms, 300 + 0.3 * 700, 'a removed instance is no observation')
  assert.equal(c.expected('g|fra').measured, false, 'per site')
})

test('drain rate: slots taken over the last window, forgotten as the window moves', () => {
  const d = new DrainRate()
  assert.equal(d.recent(0), 0)
  for (let k = 0; k < 10; k++) d.take(5000 + k)
  d.take(7500)
  assert.equal(d.recent(8000), 11)
  assert.equal(d.recent(5000 + DRAIN_WINDOW_MS - 1), 11, 'still inside the window')
  assert.equal(d.recent(5000 + DRAIN_WINDOW_MS), 1, 'the burst at 5 s fell out; the take at 7.5 s stays')
  assert.equal(d.recent(7000 + DRAIN_WINDOW_MS), 0)
  d.take(100_000)
  assert.equal(d.recent(100_000), 1, 'after a long quiet spell every old bucket is cleared')
})
