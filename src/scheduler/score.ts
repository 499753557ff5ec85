// Site scores in [0, 1], higher is better: a weighted mean of free capacity, closeness to the
// app's demand, cheapness and how few of the app's replicas the site's region and provider hold
// (spread for disaster tolerance). Components without data (no demand, no prices) drop out, so
// they neither shift nor compress the others. Scores order sites wherever the division mode leaves
// a choice: ties within fixed spread, overflow, rounding, scale-down and preemption.
import type { Scoring } from './config.js'
import { closeness, type Demand } from './geo.js'
import type { SiteSlot } from './slots.js'

export interface ScoreParts { capacity: number; distance: number; cost: number; spread: number }

export function scoreSlots(slots: readonly SiteSlot[], w: Scoring, demand: Demand | undefined): void {
  let minPrice = Infinity
  let maxPrice = -Infinity
  const region = new Map<string, number>()
  const provider = new Map<string, number>()
  for (const s of slots) {
    const p = s.site.price
    if (p !== undefined && Number.isFinite(p)) { minPrice = Math.min(minPrice, p); maxPrice = Math.max(maxPrice, p) }
    if (s.count) {
      region.set(s.site.region, (region.get(s.site.region) ?? 0) + s.count)
      provider.set(s.site.provider, (provider.get(s.site.provider) ?? 0) + s.count)
    }
  }
  const maxRegion = Math.max(0, ...region.values())
  const maxProvider = Math.max(0, ...provider.values())
  const priced = minPrice <= maxPrice
  const wd = demand ? w.distance : 0
  const wc = priced ? w.cost : 0
  const total = w.capacity + wd + wc + w.spread
  if (total <= 0) return
  const spreadAll = w.spread && !maxRegion && !maxProvider // nothing placed yet: every site scores 1
  for (const s of slots) {
    let sum = w.capacity ? w.capacity * s.freeFraction() : 0
    if (wd) { const v = s.rec.vec; sum += v ? wd * closeness(demand!, v) : 0 }
    if (wc) sum += wc * costScore(s.site.price, minPrice, maxPrice)
    if (spreadAll) sum += w.spread
    else if (w.spread) {
      const r = maxRegion ? (region.get(s.site.region) ?? 0) / maxRegion : 0
      const p = maxProvider ? (provider.get(s.site.provider) ?? 0) / maxProvider : 0
      sum += w.spread * (1 - (r + p) / 2)
    }
    s.score = sum / total
  }
}

// Cheapest 1, dearest 0; a site without a price sits in the middle.
function costScore(price: number | undefined, min: number, max: number): number {
  if (price === undefined || !Number.isFinite(price)) return 0.5
  return max > min ? (max - price) / (max - min) : 1
}
