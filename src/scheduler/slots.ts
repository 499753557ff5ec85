// One SiteSlot per site of the snapshot: the site, its nodes, its spread domain, the static reason
// it cannot take new replicas (if any) and how many replicas of the app's revision it holds.
import type { Placement as PlacementSpec } from '../api/kinds/index.js'
import { byString } from './heap.js'
import { siteReason, type Reason } from './feasibility.js'
import type { NodeState } from './capacity.js'
import type { SiteInfo } from './types.js'

export type SpreadBy = 'site' | 'region' | 'provider'

export interface SiteSlot {
  site: SiteInfo
  domain: string
  nodes: NodeState[]
  /** Set for sites that take no new replicas whatever their capacity; their kept replicas still count. */
  reason: Reason | null
  count: number
}

export function domainOf(site: SiteInfo, by: SpreadBy): string {
  return by === 'region' ? site.region : by === 'provider' ? site.provider : site.name
}

/** Slots by site name, in name order; nodes of sites missing from the snapshot belong to no slot. */
export function siteSlots(sites: readonly SiteInfo[], nodes: Map<string, NodeState>, p: PlacementSpec | undefined): Map<string, SiteSlot> {
  const bySite = new Map<string, NodeState[]>()
  for (const n of nodes.values()) {
    const list = bySite.get(n.info.site)
    if (list) list.push(n)
    else bySite.set(n.info.site, [n])
  }
  const by = p?.spread?.by ?? 'site'
  const out = new Map<string, SiteSlot>()
  for (const site of [...sites].sort((a, b) => byString(a.name, b.name))) {
    const siteNodes = bySite.get(site.name) ?? []
    out.set(site.name, {
      site,
      domain: domainOf(site, by),
      nodes: siteNodes,
      reason: siteReason(site, p, siteNodes.map((n) => n.info)),
      count: 0,
    })
  }
  return out
}
