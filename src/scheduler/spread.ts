// Fixed division, scale up: each new replica goes to the spread domain holding the fewest
// replicas, within it to the site holding the fewest, within that to the roomiest node; equal
// counts go to the better score (closer to demand, cheaper, roomier…), then the first name. Kept
// replicas count, so new ones fill the gaps around them instead of moving them (no churn). A
// domain or site that cannot take a replica is dropped for good: the plan only ever consumes
// capacity, so it cannot fit later.
import type { Capacity } from '../api/kinds/index.js'
import { Heap } from './heap.js'
import { pickNode, take } from './capacity.js'
import type { SiteSlot } from './slots.js'
import type { Placement } from './types.js'

interface Domain {
  name: string
  count: number
  /** Best score among its open sites: equal domains go to the one with the best site. */
  best: number
  open: Heap<SiteSlot>
}

const fewerSite = (a: SiteSlot, b: SiteSlot) =>
  a.count !== b.count ? a.count < b.count : a.score !== b.score ? a.score > b.score : a.site.name < b.site.name
const fewerDomain = (a: Domain, b: Domain) =>
  a.count !== b.count ? a.count < b.count : a.best !== b.best ? a.best > b.best : a.name < b.name

/**
 * Places up to `want` replicas, updating slot counts and node capacity. Returns the placements in
 * decision order, so any prefix of them is itself balanced.
 */
export function fill(slots: readonly SiteSlot[], want: number, request: Capacity, maxPerSite: number, bySite: boolean): Placement[] {
  const out: Placement[] = []
  if (want <= 0) return out
  if (bySite) {
    // Each site is its own domain: one level is enough (and spares a heap per site).
    const d: Domain = { name: '', count: 0, best: 0, open: new Heap(fewerSite, slots.filter((s) => !s.reason)) }
    while (out.length < want) {
      const placed = placeInDomain(d, request, maxPerSite)
      if (!placed) break
      out.push(placed)
    }
    return out
  }
  const domains = new Map<string, { d: Domain; open: SiteSlot[] }>()
  for (const slot of slots) {
    let e = domains.get(slot.domain)
    if (!e) domains.set(slot.domain, (e = { d: { name: slot.domain, count: 0, best: -Infinity, open: undefined! }, open: [] }))
    e.d.count += slot.count
    if (!slot.reason) { e.open.push(slot); e.d.best = Math.max(e.d.best, slot.score) }
  }
  for (const e of domains.values()) e.d.open = new Heap(fewerSite, e.open)
  const queue = new Heap(fewerDomain, [...domains.values()].map((e) => e.d).filter((d) => d.open.size > 0))
  while (out.length < want && queue.size) {
    const d = queue.pop()!
    const placed = placeInDomain(d, request, maxPerSite)
    if (!placed) continue
    out.push(placed)
    d.count++
    queue.push(d)
  }
  return out
}

function placeInDomain(d: Domain, request: Capacity, maxPerSite: number): Placement | undefined {
  for (let slot = d.open.pop(); slot; slot = d.open.pop()) {
    const node = slot.count < maxPerSite ? pickNode(slot.nodes, request) : undefined
    if (!node) continue
    take(node, request)
    slot.count++
    slot.placed++
    d.open.push(slot)
    return { node: node.info.name, site: slot.site.name }
  }
  return undefined
}
