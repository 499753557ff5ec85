// Scale down: which kept replicas to remove. First those above maxPerSite on their site, then the
// surplus above `replicas`, each time from the domain holding the most replicas, within it the site
// holding the most, so the spread stays balanced. Ties go to the last name: the reverse of the
// order scale-up fills in, so scaling down undoes the most recent scale-up at the domain and site level.
import { Heap, byString } from './heap.js'
import type { NodeState } from './capacity.js'
import type { SiteSlot } from './slots.js'

export interface Kept {
  name: string
  node: NodeState
  slot: SiteSlot
}

interface NodeGroup { node: NodeState; names: string[] } // names ascending; the last goes first
interface SiteGroup { slot: SiteSlot; count: number; nodes: Heap<NodeGroup> }
interface DomainGroup { name: string; count: number; sites: Heap<SiteGroup> }

// Within a site: instances on NotReady, then cordoned nodes go first (they are the least useful to
// keep), then from the node holding the most of them, so the site stays spread across its nodes.
function nodeFirst(a: NodeGroup, b: NodeGroup): boolean {
  if (a.node.info.ready !== b.node.info.ready) return !a.node.info.ready
  if (a.node.info.unschedulable !== b.node.info.unschedulable) return a.node.info.unschedulable
  if (a.names.length !== b.names.length) return a.names.length > b.names.length
  return a.node.info.name > b.node.info.name
}
const siteFirst = (a: SiteGroup, b: SiteGroup) => a.count !== b.count ? a.count > b.count : a.slot.site.name > b.slot.site.name
const domainFirst = (a: DomainGroup, b: DomainGroup) => a.count !== b.count ? a.count > b.count : a.name > b.name

/** Names of the kept instances to remove so that no site holds more than maxPerSite and the total is at most replicas. */
export function trim(kept: readonly Kept[], replicas: number, maxPerSite: number): string[] {
  const sites = groupBySite(kept)
  const out: string[] = []
  for (const s of sites) while (s.count > maxPerSite) out.push(removeFromSite(s))

  const domains = new Map<string, DomainGroup>()
  for (const s of sites) {
    if (!s.count) continue
    let d = domains.get(s.slot.domain)
    if (!d) domains.set(s.slot.domain, (d = { name: s.slot.domain, count: 0, sites: new Heap(siteFirst) }))
    d.count += s.count
    d.sites.push(s)
  }
  const queue = new Heap(domainFirst, domains.values())
  let surplus = kept.length - out.length - replicas
  while (surplus-- > 0) {
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
  const nodes = new Map<string, NodeGroup>()
  const sites = new Map<string, SiteGroup>()
  for (const k of [...kept].sort((a, b) => byString(a.name, b.name))) {
    let s = sites.get(k.slot.site.name)
    if (!s) sites.set(k.slot.site.name, (s = { slot: k.slot, count: 0, nodes: new Heap(nodeFirst) }))
    s.count++
    let n = nodes.get(k.node.info.name)
    if (!n) nodes.set(k.node.info.name, (n = { node: k.node, names: [] }))
    n.names.push(k.name)
  }
  for (const n of nodes.values()) sites.get(n.node.info.site)!.nodes.push(n)
  return [...sites.values()]
}

function removeFromSite(s: SiteGroup): string {
  const n = s.nodes.pop()!
  const name = n.names.pop()!
  s.count--
  if (n.names.length) s.nodes.push(n)
  return name
}
