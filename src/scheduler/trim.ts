// Scale down: which kept replicas to remove. First those above maxPerSite on their site, then the
// surplus above the wanted count. In fixed mode the surplus comes from the domain holding the most
// replicas, within it the site holding the most, so the spread stays balanced; ties go to the last
// name, the reverse of the order scale-up fills in, so scaling down undoes the most recent
// scale-up. In the other modes it comes from the site furthest above its target (then share),
// worst score first.
import { Heap, byString } from './heap.js'
import type { NodeState } from './capacity.js'
import type { SiteSlot } from './slots.js'

export interface Kept {
  name: string
  node: NodeState
  slot: SiteSlot
  /** Ready on a Ready node outside any return dwell: counts toward "enough ready" when others go. */
  trusted: boolean
}

interface NodeGroup { node: NodeState; trusted: boolean; names: string[]; onNode: { n: number } } // names ascending; the last goes first
// Node groups are scanned, not heaped: a site has few nodes, and removing from one group changes
// the key (instances on the node) of its sibling with the other readiness.
interface SiteGroup { slot: SiteSlot; count: number; nodes: NodeGroup[] }
interface DomainGroup { name: string; count: number; sites: Heap<SiteGroup> }

// Within a site: instances on NotReady nodes go first, then instances that are not trusted (not
// ready, or in a return dwell), then those on cordoned nodes (the least useful to keep), then from
// the node holding the most of them, so the site stays spread across its nodes.
function nodeFirst(a: NodeGroup, b: NodeGroup): boolean {
  if (a.node.info.ready !== b.node.info.ready) return !a.node.info.ready
  if (a.trusted !== b.trusted) return !a.trusted
  if (a.node.info.unschedulable !== b.node.info.unschedulable) return a.node.info.unschedulable
  if (a.onNode.n !== b.onNode.n) return a.onNode.n > b.onNode.n
  return a.node.info.name > b.node.info.name
}
const siteFirst = (a: SiteGroup, b: SiteGroup) => a.count !== b.count ? a.count > b.count : a.slot.site.name > b.slot.site.name
const domainFirst = (a: DomainGroup, b: DomainGroup) => a.count !== b.count ? a.count > b.count : a.name > b.name
// Furthest above its target first, then above its share, then the worse score, then the last name.
// Replicas placed by this plan count too (they are not candidates: they do not exist yet).
function shareFirst(a: SiteGroup, b: SiteGroup): boolean {
  const ha = a.count + a.slot.placed, hb = b.count + b.slot.placed
  const ta = ha - a.slot.target, tb = hb - b.slot.target
  if (ta !== tb) return ta > tb
  const ea = ha - a.slot.share, eb = hb - b.slot.share
  if (ea !== eb) return ea > eb
  if (a.slot.score !== b.slot.score) return a.slot.score < b.slot.score
  return a.slot.site.name > b.slot.site.name
}

/** Kept instances above maxPerSite on their site, to remove now. */
export function overCap(kept: readonly Kept[], maxPerSite: number): string[] {
  // Most apps have no cap, and most capped ones are within it: grouping (a sort by name) is for the
  // sites over it (at 10,000 instances it was a fifth of a reconcile).
  if (kept.length <= maxPerSite) return []
  const perSite = new Map<string, number>()
  let over = false
  for (const k of kept) {
    const n = (perSite.get(k.slot.site.name) ?? 0) + 1
    perSite.set(k.slot.site.name, n)
    if (n > maxPerSite) over = true
  }
  if (!over) return []
  const out: string[] = []
  for (const s of groupBySite(kept)) while (s.count > maxPerSite) out.push(removeFromSite(s))
  return out
}

/**
 * The `excess` kept instances that should go first, in order ("spread": fixed mode; "share": the
 * other modes, where the plan's new replicas count toward their site's holding).
 */
export function surplus(kept: readonly Kept[], excess: number, by: 'spread' | 'share'): string[] {
  const sites = groupBySite(kept)
  const out: string[] = []
  if (by === 'share') {
    const queue = new Heap(shareFirst, sites)
    while (out.length < excess && queue.size) {
      const s = queue.pop()!
      out.push(removeFromSite(s))
      if (s.count) queue.push(s)
    }
    return out
  }
  const domains = new Map<string, DomainGroup>()
  for (const s of sites) {
    if (!s.count) continue
    let d = domains.get(s.slot.domain)
    if (!d) domains.set(s.slot.domain, (d = { name: s.slot.domain, count: 0, sites: new Heap(siteFirst) }))
    d.count += s.count
    d.sites.push(s)
  }
  const queue = new Heap(domainFirst, domains.values())
  while (out.length < excess && queue.size) {
    const d = queue.pop()!
    const s = d.sites.pop()!
    out.push(removeFromSite(s))
    d.count--
    if (s.count) d.sites.push(s)
    if (d.count) queue.push(d)
  }
  return out
}

function groupBySite(kept: readonly Kept[]): SiteGroup[] {
  const groups = new Map<string, NodeGroup>()
  const onNode = new Map<string, { n: number }>()
  const sites = new Map<string, SiteGroup>()
  for (const k of [...kept].sort((a, b) => byString(a.name, b.name))) {
    let s = sites.get(k.slot.site.name)
    if (!s) sites.set(k.slot.site.name, (s = { slot: k.slot, count: 0, nodes: [] }))
    s.count++
    let c = onNode.get(k.node.info.name)
    if (!c) onNode.set(k.node.info.name, (c = { n: 0 }))
    c.n++
    const key = `${k.node.info.name}\u0000${k.trusted}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { node: k.node, trusted: k.trusted, names: [], onNode: c }))
    g.names.push(k.name)
  }
  for (const g of groups.values()) sites.get(g.node.info.site)!.nodes.push(g)
  return [...sites.values()]
}

function removeFromSite(s: SiteGroup): string {
  let at = 0
  for (let i = 1; i < s.nodes.length; i++) if (nodeFirst(s.nodes[i], s.nodes[at])) at = i
  const g = s.nodes[at]
  const name = g.names.pop()!
  g.onNode.n--
  s.count--
  if (!g.names.length) s.nodes.splice(at, 1)
  return name
}
