// The warm-site index against a plain ranking with distanceKm: the same nearest usable site for
// random fleets and callers (seeded), through adds, deletes, growth and usability changes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../src/lib/rng.js'
import { distanceKm } from '../../src/routing/policy.js'
import type { GeoPoint } from '../../src/routing/types.js'
import { unitVector, type UnitVector } from '../../src/sessions/nearest.js'
import { WarmIndex } from '../../src/sessions/warm-index.js'

/** What the index must answer: the warm, usable site at the least distance; ties (and no position) by name. */
function expected(warm: Set<string>, usable: Map<string, GeoPoint | null>, from: GeoPoint | undefined): string | undefined {
  return [...warm].filter((s) => usable.has(s))
    .map((s) => ({ s, d: from && usable.get(s) ? distanceKm(from, usable.get(s)!) : Infinity }))
    .sort((a, b) => a.d - b.d || (a.s < b.s ? -1 : 1))[0]?.s
}

test('warm index: the nearest usable warm site, as a full ranking by distance finds it', () => {
  const rnd = mulberry32(7)
  const point = (): GeoPoint => ({ lat: rnd() * 180 - 90, lon: rnd() * 360 - 180 })
  const geo = new Map<string, GeoPoint | null>()
  for (let k = 0; k < 300; k++) geo.set(`site-${k}`, k % 50 === 0 ? null : point())
  // Two sites at one place: a tie, broken by name.
  geo.set('twin-b', { lat: 10, lon: 10 })
  geo.set('twin-a', { lat: 10, lon: 10 })
  const names = [...geo.keys()]
  const idx = new WarmIndex()
  const warm = new Set<string>()
  let usable = new Map(names.filter(() => rnd() < 0.8).map((s) => [s, geo.get(s)!]))
  const posOf = (u: Map<string, GeoPoint | null>, s: string): UnitVector | null | undefined => {
    if (!u.has(s)) return undefined
    const g = u.get(s)
    return g ? unitVector(g) : null
  }
  const asVectors = (u: Map<string, GeoPoint | null>) => new Map([...u].map(([s, g]) => [s, g ? unitVector(g) : null]))
  for (let step = 0; step < 2000; step++) {
    const r = rnd()
    const s = names[Math.floor(rnd() * names.length)]
    if (r < 0.5) { idx.add(s, posOf(usable, s)); warm.add(s) }
    else if (r < 0.9) { idx.delete(s); warm.delete(s) }
    else {
      usable = new Map(names.filter(() => rnd() < 0.8).map((x) => [x, geo.get(x)!]))
      idx.refresh(asVectors(usable))
    }
    assert.equal(idx.size, warm.size)
    const from = step % 97 === 0 ? undefined : step % 13 === 0 ? { lat: 10, lon: 10 } : point()
    assert.equal(idx.nearest(from ? unitVector(from) : undefined), expected(warm, usable, from), `step ${step}`)
  }
})

test('warm index: empty, or nothing usable, answers nothing', () => {
  const idx = new WarmIndex()
  assert.equal(idx.nearest(unitVector({ lat: 0, lon: 0 })), undefined)
  idx.add('a', undefined)
  assert.equal(idx.nearest(unitVector({ lat: 0, lon: 0 })), undefined, 'warm but not usable')
  idx.refresh(new Map([['a', null]]))
  assert.equal(idx.nearest(unitVector({ lat: 0, lon: 0 })), 'a', 'usable, position unknown')
})
