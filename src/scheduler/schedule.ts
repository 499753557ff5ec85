// schedule(snapshot, request) → plan for one revision of one app. Pure and deterministic: no I/O,
// no clock, no randomness, and every input list is ordered by name first, so the plan does not
// depend on the order the snapshot was listed in. The applier re-checks and commits the plan.
import { byString } from './heap.js'
import type { Capacity } from '../api/kinds/index.js'
import { REASON, appRequest, placementMismatch, type Reason } from './feasibility.js'
import { nodeStates, pickNode, siteShortfall } from './capacity.js'
import { siteSlots, type SiteSlot } from './slots.js'
import { fill } from './spread.js'
import { trim, type Kept } from './trim.js'
import { placedMessage, unavailableMessage } from './message.js'
import type { Plan, ScheduleRequest, Snapshot } from './types.js'

export function schedule(snapshot: Snapshot, req: ScheduleRequest): Plan {
  const { replicas, placement } = req.app.spec
  const maxPerSite = placement?.maxPerSite ?? Infinity
  const request = appRequest(req.app)
  const nodes = nodeStates(snapshot.nodes, snapshot.instances)
  const slots = siteSlots(snapshot.sites, nodes, placement)

  // Instances of this revision stay where they are unless their node is gone or their site no
  // longer matches the placement. NotReady nodes keep theirs: a site that lost its link keeps
  // serving (edge autonomy). Instances of other revisions belong to the rollout, not to us.
  const remove: string[] = []
  const kept: Kept[] = []
  const own = snapshot.instances
    .filter((i) => i.app === req.appKey && i.revision === req.revision)
    .sort((a, b) => byString(a.name, b.name))
  for (const inst of own) {
    const node = nodes.get(inst.node)
    const slot = node && slots.get(node.info.site) // the node's site is the truth, not the copy on the instance
    if (!node || !slot || placementMismatch(slot.site, placement)) remove.push(inst.name)
    else kept.push({ name: inst.name, node, slot })
  }
  const trimmed = new Set(trim(kept, replicas, maxPerSite))
  remove.push(...trimmed)
  for (const k of kept) if (!trimmed.has(k.name)) k.slot.count++

  const keptCount = kept.length - trimmed.size
  const place = fill(slots.values(), replicas - keptCount, request, maxPerSite)
  const unplaced = Math.max(0, replicas - keptCount - place.length)
  remove.sort(byString)

  if (!unplaced) {
    const used = [...slots.values()].filter((s) => s.count > 0).length
    return { place, remove, unplaced, reasons: {}, message: placedMessage(replicas, replicas, used) }
  }
  // Every site now says why it cannot take one more replica (when replicas are left over, none can).
  const reasons: Record<string, number> = {}
  let available = 0
  for (const slot of slots.values()) {
    const why = whyFull(slot, request, maxPerSite)
    if (why) reasons[why] = (reasons[why] ?? 0) + 1
    else available++
  }
  return { place, remove, unplaced, reasons, message: unavailableMessage(available, slots.size, reasons) }
}

function whyFull(slot: SiteSlot, request: Capacity, maxPerSite: number): Reason | null {
  if (slot.reason) return slot.reason
  if (slot.count >= maxPerSite) return REASON.maxPerSite
  return pickNode(slot.nodes, request) ? null : siteShortfall(slot.nodes, request)
}
