// One SiteSlot per site of the fleet, in name order: the site, its failover health, the reasons it
// cannot take new replicas (if any), and what the plan does there. Node states (the capacity left
// for this plan) are made only for the sites the plan looks into, so a call over 10,000 sites does
// not copy 30,000 nodes; until then the site's aggregates in the fleet index answer. Mutable
// scratch state of a single schedule() call.
import type { Capacity } from '../api/kinds/index.js'
import { REASON, type Reason, type SiteFilter } from './feasibility.js'
import { nodeStates, fitCount, type NodeState } from './capacity.js'
import { nodeHealth, siteHealth, type Health } from './health.js'
import { freeFraction, type FleetIndex, type SiteRec } from './fleet.js'
import type { Config } from './config.js'
import type { SiteInfo } from './types.js'

export type SpreadBy = 'site' | 'region' | 'provider'

export class SiteSlot {
  readonly site: SiteInfo
  readonly domain: string
  /** Replicas of the app counted here. */
  count = 0
  /** In [0, 1], higher is better (score.ts); 0 for excluded sites. */
  score = 0
  // Division (modes other than fixed; division.ts): weight, fractional share, whole target and the
  // most the site can hold.
  weight = 0
  share = 0
  target = 0
  cap = 0
  // What the plan does here, for the explanations.
  placed = 0
  removed = 0
  lost = 0
  surplus = 0
  /** Why the site takes no new replicas whatever its free capacity, or null; its kept replicas still count. */
  reason: Reason | null
  private states: NodeState[] | undefined
  /** No node has a readiness time and the site is plainly ready: no failover, no dwell to look at. */
  readonly untimed: boolean

  constructor(
    readonly rec: SiteRec,
    /** Why the placement rules exclude the site, or null. */
    readonly mismatch: Reason | null,
    readonly health: Health,
    private readonly cfg: Config,
  ) {
    this.site = rec.info!
    this.domain = cfg.spreadBy === 'site' ? this.site.name : domainOf(this.site, cfg.spreadBy)
    const a = rec.aggregates()
    this.untimed = !a.timed && health.state === 'ready'
    this.reason = this.site.unschedulable ? REASON.siteUnschedulable : mismatch ?? (this.untimed && a.usable ? null : this.staticReason())
  }

  /** The site's nodes with the capacity left for this plan (made on first use); none for excluded sites. */
  get nodes(): NodeState[] {
    if (!this.states) {
      this.states = this.mismatch ? [] : nodeStates(this.rec.sortedNodes(), this.cfg)
      // A returning site waits out its dwell before it takes replicas.
      if (this.health.state === 'returning') for (const n of this.states) n.usable = false
    }
    return this.states
  }

  /** Free share of the usable nodes' cpu and memory (mean of the two), for the capacity score. */
  freeFraction(): number {
    if (this.fast()) return this.rec.aggregates().freeFraction
    let fc = 0, ac = 0, fm = 0, am = 0
    for (const n of this.nodes) {
      if (!n.usable) continue
      fc += Math.max(0, n.free.cpu); ac += n.info.allocatable.cpu
      fm += Math.max(0, n.free.memory); am += n.info.allocatable.memory
    }
    return freeFraction(fc, ac, fm, am)
  }

  /**
   * Replicas of `request` that fit: on the usable nodes, or (nominal) on every node that is not
   * cordoned and not failed over, Ready or not (capacity that a short outage does not take away).
   */
  fits(request: Capacity, nominal = false, key?: string): number {
    if (request.cpu <= 0 && request.memory <= 0) return Infinity
    let k = 0
    if (this.fast()) return this.rec.fits(request, nominal, key)
    for (const n of this.nodes) {
      if (nominal ? n.info.unschedulable || n.health.state === 'failed' : !n.usable) continue
      k += fitCount(n.free, request)
    }
    return k
  }

  /** Node states are not needed: untouched by this plan, and no node has a readiness time (no failover, no dwell). */
  private fast(): boolean {
    return !this.states && this.untimed
  }

  private staticReason(): Reason | null {
    if (this.site.unschedulable) return REASON.siteUnschedulable
    if (this.mismatch) return this.mismatch
    if (this.health.state === 'failed') return REASON.failedOver
    if (!this.rec.aggregates().usable) return REASON.noReadyNodes
    if (this.untimed) return null
    if (this.nodes.some((n) => n.usable)) return null
    return REASON.returning
  }
}

export function domainOf(site: SiteInfo, by: SpreadBy): string {
  return by === 'region' ? site.region : by === 'provider' ? site.provider : site.name
}

/** Slots in site name order (slot i is the fleet's site of ordinal i); nodes of sites missing from the fleet belong to no slot. */
export function siteSlots(fleet: FleetIndex, filter: SiteFilter, cfg: Config): SiteSlot[] {
  const sites = fleet.sites()
  const out: SiteSlot[] = new Array(sites.length)
  for (let i = 0; i < sites.length; i++) {
    const rec = sites[i]
    const mismatch = filter(rec.info!)
    out[i] = new SiteSlot(rec, mismatch, mismatch ? READY : healthOf(rec, cfg), cfg)
  }
  return out
}

/** The slot of a site name, if the site is in the fleet. */
export function slotOf(slots: readonly SiteSlot[], fleet: FleetIndex, site: string): SiteSlot | undefined {
  const rec = fleet.site(site)
  return rec ? slots[rec.ordinal] : undefined
}

const READY: Health = { state: 'ready' }

function healthOf(rec: SiteRec, cfg: Config): Health {
  const a = rec.aggregates()
  if (a.anyReady && !a.timed && rec.info!.readySince === undefined) return READY
  const nodes = rec.sortedNodes()
  return siteHealth(rec.info!, nodes.map((n) => n.info), a.anyReady ? [] : nodes.map((n) => nodeHealth(n.info, cfg)), cfg)
}
