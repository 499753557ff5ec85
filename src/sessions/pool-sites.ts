// The sites an app's session pool can use now: those matching its placement that have a ready node
// whose link is up, with their positions (for distances) and as a flat index (for the nearest).
import type { App, Node, Site } from '../api/kinds/index.js'
import type { Cache } from '../store/cache.js'
import { siteReason } from '../scheduler/feasibility.js'
import type { NodeInfo } from '../scheduler/types.js'
import { isNodeReady, nodeInfo, siteInfo } from '../controllers/snapshot.js'
import { unitVector, type UnitVector } from './nearest.js'
import { WarmIndex } from './warm-index.js'

/** The usable sites, sorted, with their positions (null: no geo), and as a flat index. */
export interface PoolSites { sites: string[]; pos: Map<string, UnitVector | null>; all: WarmIndex }

/** The sites a pool can use: matching the placement, with a ready, connected node. O(sites + nodes). */
export function computePoolSites(o: { nodes: Cache<Node>; sites: Cache<Site>; connected: (node: string) => boolean }, app: App): PoolSites {
  const bySite = new Map<string, NodeInfo[]>()
  for (const n of o.nodes.list()) {
    if (!isNodeReady(n) || !o.connected(n.metadata.name)) continue
    const list = bySite.get(n.spec.site)
    if (list) list.push(nodeInfo(n))
    else bySite.set(n.spec.site, [nodeInfo(n)])
  }
  const sites: string[] = []
  const pos = new Map<string, UnitVector | null>()
  const all = new WarmIndex()
  for (const s of o.sites.list()) {
    const nodes = bySite.get(s.metadata.name)
    if (!nodes || siteReason(siteInfo(s), app.spec.placement, nodes) !== null) continue
    sites.push(s.metadata.name)
    pos.set(s.metadata.name, s.spec.geo ? unitVector(s.spec.geo) : null)
    all.add(s.metadata.name, pos.get(s.metadata.name))
  }
  return { sites: sites.sort(), pos, all }
}
