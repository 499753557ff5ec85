// The scheduling settings of one request, defaults applied: the app's spec (which may not have been
// through admission, so the schema's defaults are applied again from the same constants) plus what
// the controller passes in the request (time, wanted replicas, demand, preemption history).
import { PLACEMENT_DEFAULTS as D, type DivisionMode, type DivisionWeight, type Placement as PlacementSpec } from '../api/kinds/index.js'
import type { SpreadBy } from './slots.js'
import type { ScheduleRequest } from './types.js'

export interface Scoring { capacity: number; distance: number; cost: number; spread: number }

export interface Config {
  replicas: number
  placement: PlacementSpec | undefined
  maxPerSite: number
  spreadBy: SpreadBy
  mode: DivisionMode
  weights: readonly DivisionWeight[]
  /** undefined: no clock, so no failover and no return dwell. */
  now: number | undefined
  afterMs: number
  returnMs: number
  pinned: boolean
  scoring: Scoring
  priority: number
  /** Victims this plan may still preempt. */
  preemptBudget: number
  explain: number
}

export function resolveConfig(req: ScheduleRequest): Config {
  const spec = req.app.spec
  const p = spec.placement
  const f = p?.failover
  const s = p?.scoring
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined)
  return {
    replicas: Math.max(0, Math.floor(finite(req.replicas) ?? spec.replicas)),
    placement: p,
    maxPerSite: p?.maxPerSite ?? Infinity,
    spreadBy: p?.spread?.by ?? 'site',
    mode: p?.division?.mode ?? D.division,
    weights: p?.division?.weights ?? [],
    now: finite(req.now),
    afterMs: (f?.afterSeconds ?? D.failover.afterSeconds) * 1000,
    returnMs: (f?.returnAfterSeconds ?? D.failover.returnAfterSeconds) * 1000,
    pinned: f?.pinned ?? D.failover.pinned,
    scoring: {
      capacity: s?.capacity ?? D.scoring.capacity,
      distance: s?.distance ?? D.scoring.distance,
      cost: s?.cost ?? D.scoring.cost,
      spread: s?.spread ?? D.scoring.spread,
    },
    priority: spec.priority ?? 0,
    // A caller that does not pass its preemption history does not apply preemptions either.
    preemptBudget: req.recentPreemptions === undefined ? 0 : Math.max(0, (p?.preemption?.maxPerHour ?? D.preemption.maxPerHour) - Math.max(0, req.recentPreemptions)),
    explain: Math.max(0, req.explain ?? 20),
  }
}
