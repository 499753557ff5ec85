// Free capacity per node. One NodeState per node is shared by the whole plan, so each placement
// sees the capacity taken by the placements decided before it.
import type { Capacity } from '../api/kinds/index.js'
import { byString } from './heap.js'
import { isUsable, shortfall, REASON, type Reason } from './feasibility.js'
import type { NodeInfo, PlacedInstance } from './types.js'

export interface NodeState {
  info: NodeInfo
  /** allocatable − requests of every instance on the node (all apps, all revisions); may go negative. */
  free: Capacity
}

/** NodeStates by node name, in name order. Instances on unknown nodes use nothing. */
export function nodeStates(nodes: readonly NodeInfo[], instances: readonly PlacedInstance[]): Map<string, NodeState> {
  const out = new Map<string, NodeState>()
  for (const info of [...nodes].sort((a, b) => byString(a.name, b.name))) {
    out.set(info.name, { info, free: { cpu: info.allocatable.cpu, memory: info.allocatable.memory } })
  }
  // Summed in name order so that rounding (if any quantity is fractional) never depends on list order.
  for (const inst of [...instances].sort((a, b) => byString(a.name, b.name))) {
    const n = out.get(inst.node)
    if (!n) continue
    n.free.cpu -= inst.request.cpu
    n.free.memory -= inst.request.memory
  }
  return out
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
    if (!isUsable(n.info) || shortfall(n.free, request)) continue
    if (!best || roomier(n, best)) best = n
  }
  return best
}

/** Why no node of the site fits: the shortfall of its roomiest usable node. */
export function siteShortfall(nodes: readonly NodeState[], request: Capacity): Reason | null {
  let best: NodeState | undefined
  for (const n of nodes) if (isUsable(n.info) && (!best || roomier(n, best))) best = n
  return best ? shortfall(best.free, request) : REASON.noReadyNodes
}

export function take(node: NodeState, request: Capacity): void {
  node.free.cpu -= request.cpu
  node.free.memory -= request.memory
}
