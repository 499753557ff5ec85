// Inputs and outputs of the pure scheduler. Capacity numbers: cpu in millicores, memory in bytes.
// Times are milliseconds since the epoch and come in with the request (`now`): the scheduler reads
// no clock. Every field added after the first version is optional, so older callers keep working.
import type { App, Capacity, SiteDecision as ApiSiteDecision } from '../api/kinds/index.js'

export interface GeoPoint { lat: number; lon: number }

export interface SiteInfo {
  name: string
  region: string
  provider: string
  tier: 'edge' | 'central'
  labels: Record<string, string>
  geo?: GeoPoint
  unschedulable: boolean
  /** Price per cpu-hour (Site spec.pricePerCpuHour): cheaper sites score higher. */
  price?: number
  /** Since when the site has had no Ready node; undefined while one is Ready. */
  notReadySince?: number
  /**
   * When the site last came back Ready after an outage; undefined when it has been Ready since it
   * joined. A recovered site takes new replicas, and is trusted again, only after the return dwell.
   */
  readySince?: number
}

export interface NodeInfo {
  name: string
  site: string
  ready: boolean
  unschedulable: boolean
  allocatable: Capacity
  labels: Record<string, string>
  /** Since when the node has been NotReady; undefined while Ready. */
  notReadySince?: number
  /** When the node last came back Ready after an outage (as SiteInfo.readySince, for one node). */
  readySince?: number
}

/** An instance already placed (of any app): it uses capacity on its node. */
export interface PlacedInstance {
  name: string
  app: string // namespace/name of the owning app
  revision: string
  node: string
  site: string
  request: Capacity
  /** Priority of the owning app (spec.priority); 0 when unset. Only strictly lower priorities are preempted. */
  priority?: number
  /** Whether it passes its readiness probe; undefined counts as ready (callers that do not know). */
  ready?: boolean
  /** Creation time: among equal victims, the youngest is preempted first. */
  createdAt?: number
}

export interface Snapshot {
  sites: SiteInfo[]
  nodes: NodeInfo[]
  instances: PlacedInstance[]
}

/** Where this app's users are: a point and a relative weight (requests/s, sessions, …). */
export interface DemandPoint {
  point: GeoPoint
  weight: number
}

export interface ScheduleRequest {
  app: App
  /** namespace/name of the app, matching PlacedInstance.app. */
  appKey: string
  revision: string
  /** The time the plan is made for. Without it there is no failover and no return dwell (as before). */
  now?: number
  /** Replicas wanted now (e.g. from autoscaleReplicas); default app.spec.replicas. */
  replicas?: number
  /** Demand of this app by location: the distance score and division mode `demand` use it. */
  demand?: DemandPoint[]
  /**
   * Instances of other apps this app preempted in the last hour (the churn budget). Passing it
   * (0 included) turns preemption on: a caller that does not know about Plan.preempt gets none.
   */
  recentPreemptions?: number
  /** How many sites that neither hold nor get replicas to explain in Plan.decisions (default 20; Infinity: all). */
  explain?: number
}

export interface Placement {
  node: string
  site: string
  /** Instances (preemption victims) that must be gone before this placement is created. */
  after?: string[]
}

/** An instance of a lower-priority app to stop so that a placement of this app fits on its node. */
export interface Preemption {
  victim: string
  /** namespace/name of the victim's app. */
  victimApp: string
  forNode: string
  site: string
}

/** One site's decision and why, for `describe app` (the API type, so status can carry it as is). */
export type SiteDecision = ApiSiteDecision

export interface Plan {
  /** New instances to create for the app's current revision. */
  place: Placement[]
  /** Names of instances of this app to remove now. */
  remove: string[]
  /** How many replicas could not be placed, and why, counted per site ("3 region mismatch"). */
  unplaced: number
  reasons: Record<string, number>
  /** Human-readable summary for the Scheduled condition, e.g. "0/5 sites available: 3 region mismatch, 2 insufficient memory". */
  message: string
  // The fields below are always set by schedule() (see SchedulePlan); they are optional here so
  // that other planners (session pools) can keep returning plain plans.
  lost?: string[]
  surplus?: string[]
  preempt?: Preemption[]
  decisions?: SiteDecision[]
  decisionsOmitted?: number
  recheckAt?: number
}

export interface SchedulePlan extends Plan {
  /**
   * Instances on nodes (or sites) NotReady for longer than failover.afterSeconds: no longer counted,
   * replaced elsewhere, but NOT to be deleted while their node is unreachable (they may still serve).
   */
  lost: string[]
  /**
   * Instances above the wanted count that stay until enough replicas are ready without them, in the
   * order they will go. Informational: a later plan moves them to `remove` once that is safe.
   */
  surplus: string[]
  /** Victims to stop first; placements that need the room name them in `after`. */
  preempt: Preemption[]
  decisions: SiteDecision[]
  /** Sites left out of `decisions` (see ScheduleRequest.explain). */
  decisionsOmitted: number
  /** When time alone would change the plan (a failover or a return dwell ending): schedule again then. */
  recheckAt?: number
}
