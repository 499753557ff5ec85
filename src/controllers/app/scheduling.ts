// What the app controller adds around the pure scheduler (docs/scheduler.md): the autoscale step
// (how many replicas to ask for), the preemption budget's memory, and the failover events drawn
// from the difference between the last written placement decisions and the new ones.
import type { App, AppStatus, SiteDecision } from '../../api/kinds/index.js'
import { autoscaleReplicas, type AutoscaleDecision, type Observed } from '../../scheduler/autoscale.js'

/**
 * Per-site decisions kept in status: plenty for `describe app`, and bounded, so an app on 10,000
 * sites does not write a megabyte of explanations with every status change.
 */
export const STATUS_DECISIONS_MAX = 100

/** Autoscaled apps are looked at this often even when nothing else changes: the load moves by itself. */
export const AUTOSCALE_SYNC_MS = 5000

export interface AutoscaleStep {
  decision: AutoscaleDecision
  /** What to write to status.autoscale. */
  status: NonNullable<AppStatus['autoscale']>
}

/**
 * One autoscale decision for an app with spec.autoscale (undefined otherwise: a no-op). The count
 * it starts from is the one last asked for (status.autoscale.replicas), initially spec.replicas
 * within min/max. The scale-down delay counts from the last change in either direction, so a
 * scale-down never follows right after a scale-up (status.autoscale.lastScaleDownAt holds it).
 */
export function autoscaleStep(app: App, observed: Observed, now: number): AutoscaleStep | undefined {
  const spec = app.spec.autoscale
  if (!spec || app.spec.sessions) return undefined
  const prev = app.status?.autoscale
  const current = prev?.replicas ?? Math.min(spec.max, Math.max(spec.min, app.spec.replicas))
  const parsed = prev?.lastScaleDownAt ? Date.parse(prev.lastScaleDownAt) : NaN
  const last = Number.isFinite(parsed) ? parsed : undefined
  const decision = autoscaleReplicas(current, observed, spec, last, now)
  const changedAt = decision.replicas !== current ? now : last
  return {
    decision,
    status: { replicas: decision.replicas, reason: decision.reason, ...(changedAt !== undefined ? { lastScaleDownAt: new Date(changedAt).toISOString() } : {}) },
  }
}

const HOUR_MS = 3600_000

/**
 * Instances of other apps each app preempted in the last hour (the scheduler's churn budget).
 * Kept in memory only: it resets when the server restarts, so after a restart an app may preempt
 * up to its full hourly budget again.
 */
export class PreemptionLog {
  private byApp = new Map<string, number[]>()

  add(appKey: string, at: number): void {
    const list = this.byApp.get(appKey)
    if (list) list.push(at)
    else this.byApp.set(appKey, [at])
  }

  /** Preemptions by this app within the hour before `now`; older ones are forgotten. */
  recent(appKey: string, now: number): number {
    const list = this.byApp.get(appKey)
    if (!list) return 0
    const kept = list.filter((t) => now - t < HOUR_MS)
    if (kept.length) this.byApp.set(appKey, kept)
    else this.byApp.delete(appKey)
    return kept.length
  }

  forget(appKey: string): void { this.byApp.delete(appKey) }
}

/**
 * status.placement from the plan's decisions: at most STATUS_DECISIONS_MAX, the sites where
 * something happens (lost, surplus, removed, placed) first, in the plan's order; the rest counted.
 */
export function statusPlacement(decisions: SiteDecision[], omitted: number): NonNullable<AppStatus['placement']> {
  let kept = decisions
  if (decisions.length > STATUS_DECISIONS_MAX) {
    const busy = (d: SiteDecision) => !!(d.lost || d.surplus || d.removed || d.placed)
    const first = new Set([...decisions.filter(busy), ...decisions.filter((d) => !busy(d))].slice(0, STATUS_DECISIONS_MAX))
    kept = decisions.filter((d) => first.has(d))
  }
  const rest = omitted + decisions.length - kept.length
  return { decisions: kept, ...(rest ? { omitted: rest } : {}) }
}

export interface FailoverNote { type: 'Normal' | 'Warning'; reason: string; message: string }

/**
 * Events for sites whose lost count changed since the decisions last written to status: a site
 * that lost instances to failover (or lost more), and one whose lost instances count again. Read
 * from status, so a repeated reconcile (or a restarted server) does not repeat them.
 */
export function failoverNotes(before: readonly SiteDecision[] | undefined, after: readonly SiteDecision[]): FailoverNote[] {
  const was = new Map((before ?? []).map((d) => [d.site, d.lost ?? 0]))
  const now = new Map(after.map((d) => [d.site, d.lost ?? 0]))
  const out: FailoverNote[] = []
  for (const d of after) {
    const n = d.lost ?? 0
    if (n > 0 && n !== (was.get(d.site) ?? 0)) {
      out.push({ type: 'Warning', reason: 'FailedOver', message: `failed over: ${n} instance(s) lost on site ${d.site} (kept while their node is unreachable, not counted, replaced elsewhere)` })
    }
  }
  for (const [site, n] of was) {
    if (n > 0 && !now.get(site)) out.push({ type: 'Normal', reason: 'FailoverEnded', message: `site ${site}: its ${n} lost instance(s) count again (back and trusted, or removed)` })
  }
  return out
}
