// Scale up: each new replica goes to the spread domain holding the fewest replicas, within it to
// the site holding the fewest, within that to the roomiest node. Kept replicas count, so new ones
// fill the gaps around them instead of moving them (no churn). A domain or site that cannot take a
// replica is dropped for good: the plan only ever consumes capacity, so it cannot fit later.
import type { Capacity } from '../api/kinds/index.js'
import { Heap } from './heap.js'
import { pickNode, take } from './capacity.js'
import type { SiteSlot } from './slots.js'
import type { Placement } from './types.js'

interface Domain {
  name: string
  count: number
  open: Heap<SiteSlot>
}

// Fewest replicas first, then name: the same order scale-down reverses.
const fewerSite = (a: SiteSlot, b: SiteSlot) => a.count !== b.count ? a.count < b.count : a.site.name < b.site.name
const fewerDomain = (a: Domain, b: Domain) => a.count !== b.count ? a.count < b.count : a.name < b.name

/**
 * Places up to `want` replicas, updating slot counts and node capacity. Returns the placements in
 * decision order, so any prefix of them is itself balanced.
 */
export function fill(slots: Iterable<SiteSlot>, want: number, request: Capacity, maxPerSite: number): Placement[] {
  const domains = new Map<string, Domain>()
  for (const slot of slots) {
    let d = domains.get(slot.domain)
    if (!d) domains.set(slot.domain, (d = { name: slot.domain, count: 0, open: new Heap(fewerSite) }))
    d.count += slot.count
    if (!slot.reason) d.open.push(slot)
  }
  const queue = new Heap(fewerDomain, [...domains.values()].filter((d) => d.open.size > 0))
  const out: Placement[] = []
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
    d.open.push(slot)
    return { node: node.info.name, site: slot.site.name }
  }
  return undefined
}
