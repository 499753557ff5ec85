// Preemption: when no site has room for a replica of this app, instances of apps with a strictly
// lower priority may be stopped on one node so that it fits (live streaming taking capacity from
// batch transcoding at peak). Per node, the victims are the fewest that make room: of the lower-
// priority instances, either all or the largest few are candidates, then the most valuable ones
// (ready, higher priority, older) are spared one by one while the replica still fits, and the
// smaller of the two sets is taken. Among nodes: fewest victims, then fewest ready ones, then the
// lowest top priority, the lowest priority sum, the youngest, then the preferred site. Each victim
// spends one unit of the app's hourly budget. The search stops after MAX_CANDIDATES nodes that
// could work (as Kubernetes samples nodes), in site preference order.
import type { Capacity } from '../api/kinds/index.js'
import { shortfall } from './feasibility.js'
import { give, take, type NodeState } from './capacity.js'
import type { FleetIndex } from './fleet.js'
import type { SiteSlot } from './slots.js'
import type { PlacedInstance, Placement, Preemption } from './types.js'

export const MAX_CANDIDATES = 100

interface Option {
  slot: SiteSlot
  node: NodeState
  rank: number
  victims: PlacedInstance[]
  ready: number
  top: number
  sum: number
  /** Creation time of the oldest victim: later is better (the youngest victims go first). */
  oldest: number
}

const prio = (i: PlacedInstance) => i.priority ?? 0
const ready = (i: PlacedInstance) => i.ready !== false
// Most valuable first: the order in which victims are spared.
const keepFirst = (a: PlacedInstance, b: PlacedInstance) =>
  Number(ready(b)) - Number(ready(a)) || prio(b) - prio(a) || (a.createdAt ?? 0) - (b.createdAt ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

function better(a: Option, b: Option): boolean {
  if (a.victims.length !== b.victims.length) return a.victims.length < b.victims.length
  if (a.ready !== b.ready) return a.ready < b.ready
  if (a.top !== b.top) return a.top < b.top
  if (a.sum !== b.sum) return a.sum < b.sum
  if (a.oldest !== b.oldest) return a.oldest > b.oldest
  if (a.rank !== b.rank) return a.rank < b.rank
  return a.node.info.name < b.node.info.name
}

export interface PreemptionInput {
  fleet: FleetIndex
  appKey: string
  priority: number
  request: Capacity
  maxPerSite: number
  /** Sites that may take a replica, in preference order. */
  candidates: readonly SiteSlot[]
}

export interface PreemptionResult { place: Placement[]; preempt: Preemption[] }

/** Places up to `want` replicas by preempting, spending at most `budget` victims. */
export function preempt(input: PreemptionInput, want: number, budget: number): PreemptionResult {
  const place: Placement[] = []
  const preempt: Preemption[] = []
  const gone = new Set<string>()
  const pending = new Map<string, string[]>() // node → victims the placements there wait for
  while (place.length < want) {
    const best = search(input, gone, budget)
    if (!best) break
    for (const v of best.victims) {
      give(best.node, v.request)
      gone.add(v.name)
      preempt.push({ victim: v.name, victimApp: v.app, forNode: best.node.info.name, site: best.slot.site.name })
      const list = pending.get(best.node.info.name)
      if (list) list.push(v.name)
      else pending.set(best.node.info.name, [v.name])
    }
    budget -= best.victims.length
    take(best.node, input.request)
    best.slot.count++
    best.slot.placed++
    place.push({ node: best.node.info.name, site: best.slot.site.name, after: [...pending.get(best.node.info.name)!].sort() })
  }
  return { place, preempt }
}

function search(input: PreemptionInput, gone: ReadonlySet<string>, budget: number): Option | undefined {
  let best: Option | undefined
  let seen = 0
  for (let rank = 0; rank < input.candidates.length && seen < MAX_CANDIDATES; rank++) {
    const slot = input.candidates[rank]
    if (slot.count >= input.maxPerSite) continue
    for (const node of slot.nodes) {
      if (!node.usable) continue
      const o = victimsOn(input, slot, node, rank, gone)
      if (!o || o.victims.length > budget) continue
      seen++
      if (!best || better(o, best)) best = o
    }
  }
  return best
}

function victimsOn(input: PreemptionInput, slot: SiteSlot, node: NodeState, rank: number, gone: ReadonlySet<string>): Option | undefined {
  const { request } = input
  if (!shortfall(node.free, request)) return { slot, node, rank, victims: [], ready: 0, top: -Infinity, sum: 0, oldest: Infinity }
  const lower = input.fleet.instancesOn(node.info.name).filter((i) => i.app !== input.appKey && prio(i) < input.priority && !gone.has(i.name))
  if (!lower.length) return undefined
  const all = { cpu: node.free.cpu, memory: node.free.memory }
  for (const v of lower) { all.cpu += v.request.cpu; all.memory += v.request.memory }
  if (shortfall(all, request)) return undefined
  // Two candidate sets, the smaller wins (the first on a tie): sparing the most valuable first
  // (the best victims, as Kubernetes does), and the largest first (the fewest victims).
  const byValue = spare(lower.sort(keepFirst), node.free, request)
  const need = { cpu: Math.max(0, request.cpu - node.free.cpu), memory: Math.max(0, request.memory - node.free.memory) }
  const size = (i: PlacedInstance) => Math.max(need.cpu ? i.request.cpu / need.cpu : 0, need.memory ? i.request.memory / need.memory : 0)
  const largest: PlacedInstance[] = []
  const room = { cpu: node.free.cpu, memory: node.free.memory }
  for (const v of [...lower].sort((a, b) => size(b) - size(a) || keepFirst(b, a))) {
    if (!shortfall(room, request)) break
    largest.push(v)
    room.cpu += v.request.cpu
    room.memory += v.request.memory
  }
  const bySize = spare(largest.sort(keepFirst), node.free, request)
  const victims = bySize.length < byValue.length ? bySize : byValue
  let readyCount = 0, top = -Infinity, sum = 0, oldest = Infinity
  for (const v of victims) {
    if (ready(v)) readyCount++
    top = Math.max(top, prio(v))
    sum += prio(v)
    oldest = Math.min(oldest, v.createdAt ?? 0)
  }
  return { slot, node, rank, victims: victims.sort((a, b) => (a.name < b.name ? -1 : 1)), ready: readyCount, top, sum, oldest }
}

/** Of `cands` (all stopped, the replica fits), those still to stop after sparing each in turn while it still fits. */
function spare(cands: readonly PlacedInstance[], free: Capacity, request: Capacity): PlacedInstance[] {
  const room = { cpu: free.cpu, memory: free.memory }
  for (const v of cands) { room.cpu += v.request.cpu; room.memory += v.request.memory }
  const victims: PlacedInstance[] = []
  for (const v of cands) {
    const without = { cpu: room.cpu - v.request.cpu, memory: room.memory - v.request.memory }
    if (!shortfall(without, request)) { room.cpu = without.cpu; room.memory = without.memory }
    else victims.push(v)
  }
  return victims
}
