// schedule(fleet, request) → plan for one revision of one app. Pure and deterministic: no I/O, no
// clock (time is request.now), no randomness, and every list is read in name order, so the plan
// does not depend on the order the snapshot was listed in. The applier re-checks and commits it.
//
// Two levels: sites first (filter, failover health, score, divide the replicas by the division
// mode), then nodes inside each site (the roomiest that fits). In order:
//   1. this app's instances: removed (node gone, site no longer matches), lost (failed over:
//      not counted, not removed), or kept (counted; maxPerSite excess removed);
//   2. sites scored; replicas divided (fixed: even spread; weighted / capacity / demand: targets);
//   3. new replicas placed toward the division, overflowing to the next-best sites; in the
//      target modes a few replicas move toward their targets when the spread is clearly off;
//   4. surplus chosen (trim) and, given `now`, gated: it stops only once enough replicas are
//      ready without it;
//   5. still short: preemption of lower-priority apps, within the hourly budget;
//   6. reasons, message and per-site decisions.
import { byString } from './heap.js'
import type { Capacity, DivisionMode } from '../api/kinds/index.js'
import { REASON, appRequest, compileFilter, type Reason } from './feasibility.js'
import { pickNode, siteShortfall } from './capacity.js'
import { resolveConfig, type Config } from './config.js'
import { FleetIndex } from './fleet.js'
import { prepareDemand } from './geo.js'
import { siteSlots, slotOf, type SiteSlot } from './slots.js'
import { scoreSlots } from './score.js'
import { assignTargets } from './division.js'
import { fill } from './spread.js'
import { MOVE_SHARE, fillTargets, overflow, rebalance } from './balance.js'
import { overCap, surplus, type Kept } from './trim.js'
import { gate } from './gate.js'
import { preempt } from './preempt.js'
import { explain } from './explain.js'
import { placedMessage, unavailableMessage } from './message.js'
import type { Placement, Preemption, ScheduleRequest, SchedulePlan, Snapshot } from './types.js'

export function schedule(input: Snapshot | FleetIndex, req: ScheduleRequest): SchedulePlan {
  const fleet = input instanceof FleetIndex ? input : FleetIndex.from(input)
  const cfg = resolveConfig(req)
  const request = appRequest(req.app)
  const demand = prepareDemand(req.demand)
  // Mode demand without any demand reported divides like fixed.
  const mode: DivisionMode = cfg.mode === 'demand' && !demand ? 'fixed' : cfg.mode
  const slots = siteSlots(fleet, compileFilter(cfg.placement), cfg)

  // 1. This app's instances of this revision. NotReady nodes keep theirs (edge autonomy) until
  // failover; lost ones are neither counted nor removed. Instances of other revisions belong to
  // the rollout, not to us.
  const remove: string[] = []
  const lost: string[] = []
  let kept: Kept[] = []
  for (const inst of fleet.instancesOf(req.appKey)) {
    if (inst.revision !== req.revision) continue
    const rec = fleet.node(inst.node)
    const slot = rec && slotOf(slots, fleet, rec.info.site) // the node's site is the truth, not the copy on the instance
    const node = slot && !slot.mismatch ? slot.nodes.find((n) => n.info.name === inst.node) : undefined
    if (!slot || !node) {
      remove.push(inst.name)
      if (slot) slot.removed++
    } else if (!cfg.pinned && (node.health.state === 'failed' || slot.health.state === 'failed')) {
      lost.push(inst.name)
      slot.lost++
    } else {
      const trusted = inst.ready !== false && node.info.ready && node.health.state !== 'returning' && slot.health.state !== 'returning'
      kept.push({ name: inst.name, node, slot, trusted })
    }
  }
  const capped = new Set(overCap(kept, cfg.maxPerSite))
  for (const k of kept) if (capped.has(k.name)) { k.slot.removed++; remove.push(k.name) }
  kept = kept.filter((k) => !capped.has(k.name))
  for (const k of kept) k.slot.count++

  // 2–3. Score, divide, place.
  const matching = slots.filter((s) => !s.mismatch)
  scoreSlots(matching, cfg.scoring, demand)
  const place: Placement[] = []
  let excess: number
  if (mode === 'fixed') {
    place.push(...fill(matching, cfg.replicas - kept.length, request, cfg.maxPerSite, cfg.spreadBy === 'site'))
    excess = kept.length - cfg.replicas
  } else {
    const eligible = matching.filter((s) => s.health.state !== 'failed' || cfg.pinned)
    assignTargets(eligible, cfg, request, demand)
    let need = cfg.replicas - kept.length
    if (need > 0) need -= fillTargets(eligible, need, request, cfg.maxPerSite, place)
    if (need > 0) need -= overflow(eligible, need, request, cfg.maxPerSite, place)
    const inFlight = Math.max(0, kept.length - cfg.replicas)
    rebalance(eligible, Math.max(1, Math.ceil(cfg.replicas * MOVE_SHARE)) - inFlight, request, cfg.maxPerSite, place)
    excess = kept.length + place.length - cfg.replicas
  }

  // 4. Surplus, gated on readiness.
  // Without `now` (callers from before failover) surplus goes at once, as it always did.
  const chosen = excess > 0 ? surplus(kept, excess, mode === 'fixed' ? 'spread' : 'share') : []
  const gated = cfg.now === undefined ? { remove: chosen, hold: [] } : gate(kept, chosen, cfg.replicas)
  const keptSlot = new Map(kept.map((k) => [k.name, k.slot]))
  for (const n of gated.remove) { const s = keptSlot.get(n)!; s.count--; s.removed++ }
  for (const n of gated.hold) keptSlot.get(n)!.surplus++
  remove.push(...gated.remove)

  // 5. Preemption for what is still short.
  let unplaced = Math.max(0, cfg.replicas - (kept.length - gated.remove.length) - place.length)
  let preempted: Preemption[] = []
  if (unplaced > 0 && cfg.preemptBudget > 0) {
    const candidates = matching.filter((s) => !s.reason).sort(mode === 'fixed' ? fewerFirst : deficitFirst)
    const r = preempt({ fleet, appKey: req.appKey, priority: cfg.priority, request, maxPerSite: cfg.maxPerSite, candidates }, unplaced, cfg.preemptBudget)
    place.push(...r.place)
    preempted = r.preempt
    unplaced -= r.place.length
  }

  // 6. Explanations.
  remove.sort(byString)
  lost.sort(byString)
  const why = (s: SiteSlot) => whyFull(s, request, cfg.maxPerSite)
  const { decisions, omitted } = explain(slots, cfg, mode, why)
  const plan: SchedulePlan = {
    place, remove, unplaced, reasons: {}, message: '',
    lost, surplus: gated.hold, preempt: preempted, decisions, decisionsOmitted: omitted,
  }
  const recheckAt = nextChange(matching, cfg, mode, unplaced)
  if (recheckAt !== undefined) plan.recheckAt = recheckAt
  if (!unplaced) {
    let used = 0
    for (const s of matching) if (s.count > 0) used++
    plan.message = placedMessage(cfg.replicas, cfg.replicas, used) + notes(plan)
    return plan
  }
  // Every site now says why it cannot take one more replica (when replicas are left over, none can).
  let available = 0
  for (const slot of slots) {
    const r = why(slot)
    if (r) plan.reasons[r] = (plan.reasons[r] ?? 0) + 1
    else available++
  }
  plan.message = unavailableMessage(available, slots.length, plan.reasons) + notes(plan)
  return plan
}

function whyFull(slot: SiteSlot, request: Capacity, maxPerSite: number): Reason | null {
  if (slot.reason) return slot.reason
  if (slot.count >= maxPerSite) return REASON.maxPerSite
  return pickNode(slot.nodes, request) ? null : siteShortfall(slot.nodes, request)
}

// Preference orders: best score first; for preemption, where replicas are most wanted first. Slots
// come in name order and sorting is stable, so equal keys stay in name order.
const preferred = (a: SiteSlot, b: SiteSlot) => b.score - a.score
const fewerFirst = (a: SiteSlot, b: SiteSlot) => a.count - b.count || preferred(a, b)
const deficitFirst = (a: SiteSlot, b: SiteSlot) => (b.target - b.count) - (a.target - a.count) || preferred(a, b)

/** What the plan leaves in flight, appended to the message only when there is any. */
function notes(p: SchedulePlan): string {
  const out: string[] = []
  if (p.lost.length) out.push(`${p.lost.length} lost on failed-over nodes`)
  if (p.surplus.length) out.push(`${p.surplus.length} surplus until replacements are ready`)
  if (p.preempt.length) out.push(`preempting ${p.preempt.length} lower-priority ${p.preempt.length === 1 ? 'instance' : 'instances'}`)
  return out.length ? `; ${out.join(', ')}` : ''
}

/**
 * The earliest time at which time alone changes the plan: a node or site holding replicas reaches
 * its failover time, or a returning one ends its dwell (which matters where it holds replicas, or
 * when replicas are short, or when the division may move replicas back to it).
 */
function nextChange(slots: Iterable<SiteSlot>, cfg: Config, mode: DivisionMode, unplaced: number): number | undefined {
  if (cfg.now === undefined) return undefined
  let at = Infinity
  const consider = (t: number | undefined) => { if (t !== undefined && t > cfg.now! && t < at) at = t }
  for (const s of slots) {
    if (s.untimed) continue
    const holds = s.count > 0
    if (s.health.state === 'down' && holds && !cfg.pinned) consider(s.health.changesAt)
    if (s.health.state === 'returning' && (holds || unplaced > 0 || mode !== 'fixed')) consider(s.health.changesAt)
    for (const n of s.nodes) {
      if (n.health.state === 'down' && holds && !cfg.pinned) consider(n.health.changesAt)
      if (n.health.state === 'returning' && (holds || unplaced > 0 || mode !== 'fixed')) consider(n.health.changesAt)
    }
  }
  return at === Infinity ? undefined : at
}
