// Targets of the division modes other than fixed: for each eligible site (matching the placement,
// not failed over) a weight, a fractional share of the replicas, a whole target and a cap (the most
// it can hold: what it keeps plus what fits on its usable nodes, within maxPerSite). Shares never
// exceed caps; what the caps cut off overflows to the other sites in proportion (water-filling),
// and what is left after that overflows in score order (balance.ts).
//   weighted: each weight entry is a group; groups divide the replicas by weight, and a group
//             divides its part evenly over its sites (the better-scored ones take remainders).
//   capacity: by free capacity in replicas of this app (kept ones included, so they do not shrink
//             their own site's share); NotReady nodes not yet failed over still count.
//   demand:   each demand point's part goes to its nearest site, spilling to the next-nearest ones
//             (up to SPILL sites) when that is full.
import type { Capacity, DivisionWeight } from '../api/kinds/index.js'
import { REASON } from './feasibility.js'
import { divide } from './divide.js'
import type { Demand, Vec } from './geo.js'
import type { Config } from './config.js'
import { sizeKey } from './fleet.js'
import type { SiteSlot } from './slots.js'

const SPILL = 8
/** A zero request still needs a unit to count capacity in. */
const NOMINAL: Capacity = { cpu: 100, memory: 0 }

/** Sets weight, share, target and cap of `eligible` (in name order). */
export function assignTargets(eligible: readonly SiteSlot[], cfg: Config, request: Capacity, demand: Demand | undefined): void {
  const nominal = cfg.mode === 'capacity' ? (request.cpu > 0 || request.memory > 0 ? request : NOMINAL) : undefined
  const weights = nominal ? new Float64Array(eligible.length) : undefined
  const key = sizeKey(request)
  const nominalKey = nominal && sizeKey(nominal)
  for (let i = 0; i < eligible.length; i++) {
    const s = eligible[i]
    s.cap = Math.min(cfg.maxPerSite, s.count + (s.reason ? 0 : s.fits(request, false, key)))
    if (weights) weights[i] = s.count + s.fits(nominal!, true, nominalKey as string)
  }
  if (cfg.mode === 'weighted') weighted(eligible, cfg)
  else if (weights) apply(eligible, cfg.replicas, weights)
  else if (cfg.mode === 'demand' && demand) byDemand(eligible, cfg, demand)
}

// Equal remainders go to the better score (then the earlier name: slots come in name order).
const byScore = (slots: readonly SiteSlot[]) => (a: number, b: number) => slots[b].score - slots[a].score

function apply(slots: readonly SiteSlot[], total: number, weights: ArrayLike<number>): void {
  const caps = Float64Array.from(slots, (s) => s.cap)
  const { share, target } = divide(total, weights, caps, byScore(slots))
  for (let i = 0; i < slots.length; i++) { const s = slots[i]; s.weight = weights[i]; s.share = share[i]; s.target = target[i] }
}

function weighted(eligible: readonly SiteSlot[], cfg: Config): void {
  const groups = cfg.weights.map(() => [] as SiteSlot[])
  for (const s of eligible) {
    const j = entryOf(s, cfg.weights)
    if (j >= 0 && cfg.weights[j].weight > 0) groups[j].push(s)
    else {
      s.weight = 0
      if (!s.reason) s.reason = REASON.noWeight
      s.cap = Math.min(s.cap, s.count) // keeps what it runs until moved, takes nothing new
    }
  }
  const caps = groups.map((g) => g.reduce((sum, s) => sum + s.cap, 0))
  const parts = divide(cfg.replicas, cfg.weights.map((w, j) => (groups[j].length ? w.weight : 0)), caps)
  groups.forEach((g, j) => {
    if (!g.length) return
    const ones = new Float64Array(g.length).fill(1)
    const gcaps = Float64Array.from(g, (s) => s.cap)
    const targets = divide(parts.target[j], ones, gcaps, byScore(g)).target
    const shares = divide(parts.share[j], ones, gcaps).share
    g.forEach((s, i) => { s.weight = cfg.weights[j].weight; s.share = shares[i]; s.target = targets[i] })
  })
}

/** The most specific entry naming the site: one naming the site itself, then more keys, then the first. */
function entryOf(s: SiteSlot, weights: readonly DivisionWeight[]): number {
  let best = -1
  let bestRank = -1
  weights.forEach((w, j) => {
    if ((w.site !== undefined && w.site !== s.site.name) || (w.region !== undefined && w.region !== s.site.region) || (w.provider !== undefined && w.provider !== s.site.provider)) return
    const rank = (w.site !== undefined ? 4 : 0) + (w.region !== undefined ? 1 : 0) + (w.provider !== undefined ? 1 : 0)
    if (rank > bestRank) { best = j; bestRank = rank }
  })
  return best
}

function byDemand(eligible: readonly SiteSlot[], cfg: Config, demand: Demand): void {
  const cands = eligible.filter((s) => s.cap > 0 && s.rec.vec)
  const n = cands.length
  const x = new Float64Array(n), y = new Float64Array(n), z = new Float64Array(n)
  const left = new Float64Array(n), share = new Float64Array(n), weight = new Float64Array(n)
  cands.forEach((s, i) => { const v = s.rec.vec!; x[i] = v.x; y[i] = v.y; z[i] = v.z; left[i] = s.cap })
  // Heaviest points first, so they get their nearest sites before the caps run out.
  const points = [...demand.points].sort((a, b) => b.weight - a.weight)
  for (const p of points) {
    let want = (cfg.replicas * p.weight) / demand.total
    const near = nearest(p.vec, x, y, z, left, SPILL)
    if (near.length) weight[near[0]] += p.weight // for the explanation: "nearest to 40% of demand"
    for (const i of near) {
      const give = Math.min(want, left[i])
      if (give <= 0) continue
      share[i] += give
      left[i] -= give
      want -= give
      if (want <= 1e-12) break
    }
  }
  // Whole targets from the shares (their sum, rounded), better-scored sites first on equal remainders.
  let sum = 0
  for (const v of share) sum += v
  const total = Math.min(cfg.replicas, Math.round(sum))
  const { target } = divide(total, share, Float64Array.from(cands, (s) => s.cap), byScore(cands))
  cands.forEach((s, i) => { s.weight = weight[i] / demand.total; s.share = share[i]; s.target = target[i] })
}

/** Indexes of the k nearest candidates with room left, nearest first (ties: earlier index). */
function nearest(v: Vec, x: Float64Array, y: Float64Array, z: Float64Array, left: Float64Array, k: number): number[] {
  const idx: number[] = []
  const far: number[] = [] // −cos of the angle: smaller is nearer
  for (let i = 0; i < x.length; i++) {
    if (left[i] <= 0) continue
    const d = -(v.x * x[i] + v.y * y[i] + v.z * z[i])
    if (idx.length === k && d >= far[k - 1]) continue
    let at = idx.length
    while (at > 0 && far[at - 1] > d) at--
    idx.splice(at, 0, i)
    far.splice(at, 0, d)
    if (idx.length > k) { idx.pop(); far.pop() }
  }
  return idx
}
