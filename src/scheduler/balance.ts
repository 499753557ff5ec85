// Placing replicas toward the targets of the weighted, capacity and demand modes.
//   deficit:   new replicas go to the sites furthest below their target (better score first);
//   overflow:  what the targets cannot take goes to the best-scored sites that still have room;
//   rebalance: when a site holds clearly more than its share (or another clearly less), one
//              replica is added where the target is not met, and trim then takes one from the
//              site furthest above its target. Its removal waits for the new one to be ready
//              (gate.ts), so a move never opens a gap. "Clearly" is a hysteresis band of 20% of
//              the share, widened to whole replicas (ceil above, floor below): rounding a share
//              either way never moves anything, and small swings in demand or capacity neither.
import type { Capacity } from '../api/kinds/index.js'
import { Heap } from './heap.js'
import { pickNode, take } from './capacity.js'
import type { SiteSlot } from './slots.js'
import type { Placement } from './types.js'

export const BAND = 0.2
/** Moves in flight at once, as a share of the replicas (at least one). */
export const MOVE_SHARE = 0.25

/** The most a site may hold before it gives replicas away, and the least before it is owed some. */
const upper = (share: number) => Math.ceil(share * (1 + BAND) - 1e-9)
const lower = (share: number) => Math.floor(share * (1 - BAND) + 1e-9)

function placeOne(s: SiteSlot, request: Capacity, maxPerSite: number, out: Placement[]): boolean {
  const node = s.count < maxPerSite ? pickNode(s.nodes, request) : undefined
  if (!node) return false
  take(node, request)
  s.count++
  s.placed++
  out.push({ node: node.info.name, site: s.site.name })
  return true
}

const deficitFirst = (a: SiteSlot, b: SiteSlot) => {
  const da = a.target - a.count, db = b.target - b.count
  return da !== db ? da > db : a.score !== b.score ? a.score > b.score : a.site.name < b.site.name
}

/** Up to `want` replicas on sites below their target. */
export function fillTargets(slots: readonly SiteSlot[], want: number, request: Capacity, maxPerSite: number, out: Placement[]): number {
  let placed = 0
  const queue = new Heap(deficitFirst, slots.filter((s) => !s.reason && s.target > s.count))
  while (placed < want && queue.size) {
    const s = queue.pop()!
    if (!placeOne(s, request, maxPerSite, out)) continue
    placed++
    if (s.target > s.count) queue.push(s)
  }
  return placed
}

const scoreFirst = (a: SiteSlot, b: SiteSlot) =>
  a.score !== b.score ? a.score > b.score : a.count !== b.count ? a.count < b.count : a.site.name < b.site.name

/** Up to `want` replicas on the best-scored sites with room, whatever their targets. */
export function overflow(slots: readonly SiteSlot[], want: number, request: Capacity, maxPerSite: number, out: Placement[]): number {
  let placed = 0
  if (want <= 0) return 0
  const queue = new Heap(scoreFirst, slots.filter((s) => !s.reason && s.count < maxPerSite))
  while (placed < want && queue.size) {
    const s = queue.pop()!
    if (!placeOne(s, request, maxPerSite, out)) continue
    placed++
    queue.push(s)
  }
  return placed
}

// A site is over when it holds more than both its target and the band's upper bound, under when
// it holds less than both its target and the lower bound, so reaching a target never makes a site
// "over" (which would move the replica straight back). Donor keys use the counts from before this
// loop, so no key changes while it sits in a heap.
interface Donor { slot: SiteSlot; base: number; out: number }
const overBy = (d: Donor) => d.base - d.out - Math.max(d.slot.target, upper(d.slot.share))
const underBy = (s: SiteSlot) => Math.min(s.target, lower(s.share)) - s.count
const donorFirst = (a: Donor, b: Donor) => {
  const oa = overBy(a), ob = overBy(b)
  return oa !== ob ? oa > ob : a.slot.score !== b.slot.score ? a.slot.score < b.slot.score : a.slot.site.name > b.slot.site.name
}
const receiverFirst = (a: SiteSlot, b: SiteSlot) => {
  const ua = underBy(a), ub = underBy(b)
  return ua !== ub ? ua > ub : deficitFirst(a, b)
}

/** Adds up to `budget` replicas where targets are not met while another site is clearly over its share (or the receiver clearly under). */
export function rebalance(slots: readonly SiteSlot[], budget: number, request: Capacity, maxPerSite: number, out: Placement[]): number {
  let moved = 0
  if (budget <= 0) return 0
  const donors = new Heap(donorFirst, slots.filter((s) => s.count > 0).map((slot) => ({ slot, base: slot.count, out: 0 })))
  const receivers = new Heap(receiverFirst, slots.filter((s) => !s.reason && s.target > s.count))
  while (moved < budget && donors.size && receivers.size) {
    const d = donors.peek()!
    const r = receivers.peek()!
    if (!(overBy(d) > 0) && !(underBy(r) > 0 && d.base - d.out > d.slot.target)) break
    receivers.pop()
    if (!placeOne(r, request, maxPerSite, out)) continue
    moved++
    donors.pop()
    d.out++
    if (d.base - d.out > 0) donors.push(d)
    if (r.target > r.count) receivers.push(r)
  }
  return moved
}
