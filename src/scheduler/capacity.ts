// Free capacity per node. One NodeState per node is shared by the whole plan, so each placement
// sees the capacity taken by the placements (and freed by the preemptions) decided before it.
import type { Capacity } from '../api/kinds/index.js'
import { isUsable, shortfall, REASON, type Reason } from './feasibility.js'
import { nodeHealth, type Health } from './health.js'
import type { Config } from './config.js'
import { usedOf, type NodeRec } from './fleet.js'
import type { NodeInfo } from './types.js'

export interface NodeState {
  info: NodeInfo
  /** allocatable − requests of every instance on the node (all apps, all revisions); may go negative. */
  free: Capacity
  health: Health
  /** Ready, not cordoned and not in its return dwell: may receive new instances. */
  usable: boolean
}

/** States of the given nodes (in their order), with the capacity the fleet's instances leave. */
export function nodeStates(nodes: readonly NodeRec[], cfg: Config): NodeState[] {
  return nodes.map((rec) => {
    const info = rec.info
    const used = usedOf(rec)
    const health = nodeHealth(info, cfg)
    return {
      info,
      free: { cpu: info.allocatable.cpu - used.cpu, memory: info.allocatable.memory - used.memory },
      health,
      usable: isUsable(info) && health.state !== 'returning',
    }
  })
}

// Most free cpu, then memory, then name: spreads replicas over the nodes of a site.
function roomier(a: NodeState, b: NodeState): boolean {
  if (a.free.cpu !== b.free.cpu) return a.free.cpu > b.free.cpu
  if (a.free.memory !== b.free.memory) return a.free.memory > b.free.memory
  return a.info.name < b.info.name
}

/** The node of a site a new replica goes to, or undefined when no usable node fits. */
export function pickNode(nodes: readonly NodeState[], request: Capacity): NodeState | undefined {
  let best: NodeState | undefined
  for (const n of nodes) {
    if (!n.usable || shortfall(n.free, request)) continue
    if (!best || roomier(n, best)) best = n
  }
  return best
}

/** Why no node of the site fits: the shortfall of its roomiest usable node. */
export function siteShortfall(nodes: readonly NodeState[], request: Capacity): Reason | null {
  let best: NodeState | undefined
  for (const n of nodes) if (n.usable && (!best || roomier(n, best))) best = n
  return best ? shortfall(best.free, request) : REASON.noReadyNodes
}

/** How many replicas of `r` fit in `free`. */
export function fitCount(free: Capacity, r: Capacity): number {
  const c = r.cpu > 0 ? Math.floor(free.cpu / r.cpu) : Infinity
  const m = r.memory > 0 ? Math.floor(free.memory / r.memory) : Infinity
  return Math.max(0, Math.min(c, m))
}

export function take(node: NodeState, request: Capacity): void {
  node.free.cpu -= request.cpu
  node.free.memory -= request.memory
}

export function give(node: NodeState, request: Capacity): void {
  node.free.cpu += request.cpu
  node.free.memory += request.memory
}
