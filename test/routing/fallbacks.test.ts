// The fallback index gives exactly what ranking every usable site would (rankSites), for random
// worlds: clustered sites, ties in rounded distance, saturated sites, sites without coordinates,
// unusable ones, and a point of view with or without coordinates. The table's best() (DNS answers)
// is built on it and gives the start of route()'s ranking.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FallbackIndex } from '../../src/routing/fallbacks.js'
import { rankSites, usable, type SiteCandidate } from '../../src/routing/policy.js'
import { mulberry32 } from '../../src/lib/rng.js'
import { ManualClock } from '../../src/lib/clock.js'
import { RoutingTable, type RoutingTableOptions } from '../../src/routing/table.js'
import type { GeoLocator } from '../../src/routing/types.js'

function world(seed: number, n: number): SiteCandidate[] {
  const r = mulberry32(seed)
  const centres = Array.from({ length: 6 }, () => ({ lat: r() * 150 - 75, lon: r() * 360 - 180 }))
  return Array.from({ length: n }, (_, i) => {
    const c = centres[Math.floor(r() * centres.length)]
    const geo = r() < 0.1 ? undefined : { lat: Math.max(-89, Math.min(89, c.lat + (r() - 0.5) * 2)), lon: c.lon + (r() - 0.5) * 2 }
    return {
      site: `s${String(i).padStart(4, '0')}`, region: 'r', provider: 'p', ...(geo ? { geo } : {}),
      gateways: r() < 0.1 ? [] : [`10.0.0.${i % 250}:80`], ready: r() < 0.1 ? 0 : 1 + Math.floor(r() * 3),
      saturated: r() < 0.15, load: Math.floor(r() * 3),
    }
  })
}

test('fallbacks: the same k sites, in the same order, as ranking every usable site', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const cands = world(seed, 20 + seed * 7)
    const index = new FallbackIndex(cands)
    for (const self of cands.slice(0, 25)) {
      for (const from of [self.geo, undefined]) {
        const expected = rankSites(usable(cands.filter((c) => c.site !== self.site)).ok, from).slice(0, 3).map((c) => c.site)
        assert.deepEqual(index.fallbacks(self.site, from, 3).map((c) => c.site), expected, `seed ${seed}, site ${self.site}, from ${JSON.stringify(from)}`)
      }
    }
  }
})

test('fallbacks: fewer usable sites than asked for gives them all; none gives none', () => {
  const cands = world(7, 5).map((c) => ({ ...c, gateways: ['g:1'], ready: 1 }))
  const index = new FallbackIndex(cands)
  assert.equal(index.fallbacks(cands[0].site, cands[0].geo, 10).length, 4)
  assert.deepEqual(new FallbackIndex([]).fallbacks('x', { lat: 0, lon: 0 }), [])
})

test('the table\'s best(): the first k of route()\'s ranking, a client\'s sticky site included', () => {
  const points = new Map<string, { lat: number; lon: number }>()
  const geo: GeoLocator = { locate: (ip) => ({ ip, source: points.has(ip) ? 'rule' : 'unknown', prefixLength: 24, ...(points.has(ip) ? { point: points.get(ip) } : {}) }) }
  let kept = 0
  for (let seed = 1; seed <= 20; seed++) {
    const cands = world(seed, 50 + seed * 20)
    const table = new RoutingTable({ geo, clock: new ManualClock() } as unknown as RoutingTableOptions)
    table['hosts'] = new Map([['web.example', { app: 'default/web', port: 'http', candidates: cands, endpoints: new Map() }]])
    const r = mulberry32(seed * 1000)
    for (let i = 0; i < 30; i++) {
      const ip = `10.${seed}.${i}.1`
      if (i % 5) points.set(ip, { lat: r() * 150 - 75, lon: r() * 360 - 180 })
      // Half the clients were answered before, with a site that may no longer be near the top.
      if (i % 2) table['sticky'].set(`web.example|10.${seed}.${i}`, cands[Math.floor(r() * cands.length)].site)
      for (const k of [2, 3]) {
        const full = table.route('web.example', geo.locate(ip))!.ranked.slice(0, k).map((c) => c.site)
        const best = table.best('web.example', ip, k)!.ranked
        assert.deepEqual(best.map((c) => c.site), full, `seed ${seed}, client ${i}, k ${k}`)
        if (best[0]?.reason.startsWith('kept')) kept++
      }
    }
  }
  assert.ok(kept > 0, 'some answers kept the sticky site first')
})
