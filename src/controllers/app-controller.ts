// Turns each App into Instances. Per reconcile, level-triggered and safe to repeat:
//  1. placement: the pure scheduler decides how many instances each site and node gets (whatever
//     revision they run), given the time (failover, return dwell), the demand, the autoscaled count
//     and the preemption budget (docs/scheduler.md is the contract);
//  2. rollout: the pure rollout step decides which revision each site is driven to (waves, health
//     gates, rollback);
//  3. apply: stop preemption victims, create and remove instances for the placement, and replace
//     instances whose revision is not their site's target (surge first, old ones stop once the new
//     ones are ready). Instances lost to failover are never deleted nor replaced in place;
//  4. status: counts per site and revision, the rollout's progress, conditions.
import { randomHex } from '../lib/random-hex.js'
import { isApiError } from '../api/errors.js'
import type { App, AppStatus, Instance, Node, Revision, Site, Template } from '../api/kinds/index.js'
import { API_VERSION, getCondition, ownedBy, setCondition } from '../api/meta.js'
import { templateRevision } from '../api/revision.js'
import { isoNow, type Clock } from '../lib/clock.js'
import { deepEqual } from '../lib/equal.js'
import type { Logger } from '../lib/log.js'
import { schedule } from '../scheduler/schedule.js'
import type { Observed } from '../scheduler/autoscale.js'
import type { Cache } from '../store/cache.js'
import type { Store } from '../store/types.js'
import type { EventRecorder } from './events.js'
import { WorkQueue, type ReconcileResult } from './runtime/work-queue.js'
import { isNodeReady, requestOf } from './snapshot.js'
import { advanceRollout, defaultStrategy, type RolloutStep, type SiteObservation } from './rollout/progress.js'
import { observeImages, predistribute, templateImage, type ImageAvailability } from './rollout/predistribution.js'
import { planReplacements, occupants, unavailableBudget, REPLACES_ANNOTATION, type SiteInstance } from './app/replace.js'
import { Revisions } from './app/revisions.js'
import { ImageResolveError, imageResolved, imageUnresolved, type DigestResolver } from './app/image-pinning.js'
import { NodeRoom } from './app/node-room.js'
import { EventBatch } from './app/event-batch.js'
import { ANY_REVISION, FleetView } from './app/fleet-view.js'
import type { FleetIndex } from '../scheduler/fleet.js'
import { newSessionKey } from '../sessions/token.js'
import type { DemandPoint, PlacedInstance, Plan, Preemption } from '../scheduler/types.js'
import { PoolChanges } from './app/pool-changes.js'
import { together } from './runtime/together.js'
import { AUTOSCALE_SYNC_MS, PreemptionLog, autoscaleStep, failoverNotes, statusPlacement, type AutoscaleStep } from './app/scheduling.js'

/** Reconciles of apps with this many instances let the event loop run between their steps. */
const YIELD_AT = 1000
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export const APP_LABEL = 'edgeplane.io/app'
export const REVISION_LABEL = 'edgeplane.io/revision'

export interface AppControllerOptions {
  store: Store
  clock: Clock
  log: Logger
  events: EventRecorder
  apps: Cache<App>
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
  revisions?: Cache<Revision>
  /** Gateway-reported error rate (0–1) of a host in a site, for the rollout's health gate. */
  errorRate?: (site: string, host: string) => number | undefined
  /** Session pools: for apps with spec.sessions, how many instances each site wants. */
  pools?: PoolPlanner
  /** Where an app's users are (the gateways' demand by location), for the distance score and division mode demand. */
  demand?: (app: App) => DemandPoint[]
  /** What the gateways measure of a host now (requests/s, requests in flight), for autoscale. */
  observed?: (host: string) => Observed
  /** The random part of a new instance's name (default: 8 random hex digits). */
  nameSuffix?: () => string
  /** Image distribution: a rollout's next wave fetches the new image while the current one soaks, and starts once it is there. */
  images?: ImageAvailability
  /** Resolves a container image tag to its digest when a Revision is made (the server's registry client). */
  resolveDigest?: DigestResolver
}

export interface PoolPlanner {
  poolSites(app: App): readonly string[]
  isPoolSite(app: App, site: string): boolean
  desired(app: App, site: string): number
  removable(app: App, site: string): string[]
}

/** Tries at a free instance name before the create's AlreadyExists is the reconcile's error. */
const NAME_ATTEMPTS = 5

/** 8 random hex digits: 4 billion names per app, so collisions are rare (and retried). */
const randomSuffix = () => randomHex(4)

export class AppController {
  readonly queue: WorkQueue
  /** namespace/app → names of its instances, kept from the instance cache. */
  private owned = new Map<string, Set<string>>()
  /** namespace/app → site → names of its instances there (a session app's partial reconcile reads one site). */
  private ownedBySite = new Map<string, Map<string, Set<string>>>()
  private changes: PoolChanges
  private revisions: Revisions | undefined
  private preemptions = new PreemptionLog()
  /** The scheduler's fleet, kept current from the caches (every instance at revision `*`). */
  private fleet: FleetView
  /**
   * The status each app is being written with by this controller: the event of that write needs no
   * reconcile of its own (it was one per readiness burst, ~0.3 s for an app on 10,000 sites); what a
   * reconcile reads back from its status asks for the next one directly (writeStatus).
   */
  private writing = new Map<string, AppStatus>()

  constructor(private o: AppControllerOptions) {
    this.queue = new WorkQueue({ name: 'apps', clock: o.clock, log: o.log, reconcile: (k) => this.reconcile(k), dutyCycle: 0.5 })
    if (o.revisions) this.revisions = new Revisions(o.store, o.revisions, o.resolveDigest)
    this.fleet = new FleetView(o)
    this.changes = new PoolChanges(o.clock)
  }

  /** A session pool of the app changed in this site (the session service says so). */
  poolChanged(key: string, site: string): void {
    this.changes.pool(key, site)
    this.queue.add(key)
  }

  /** Queues a full reconcile of the app. */
  private fullReconcile(key: string): void {
    this.changes.full(key)
    this.queue.add(key)
  }

  private own(key: string, i: Instance): void {
    let set = this.owned.get(key)
    if (!set) this.owned.set(key, (set = new Set()))
    set.add(i.metadata.name)
    let sites = this.ownedBySite.get(key)
    if (!sites) this.ownedBySite.set(key, (sites = new Map()))
    let names = sites.get(i.spec.site)
    if (!names) sites.set(i.spec.site, (names = new Set()))
    names.add(i.metadata.name)
  }

  private disown(key: string, i: Instance): void {
    this.owned.get(key)?.delete(i.metadata.name)
    this.ownedBySite.get(key)?.get(i.spec.site)?.delete(i.metadata.name)
  }

  start(): void {
    const { apps, sites, nodes, instances } = this.o
    // The fleet's handlers first: the ones below start reconciles, which read it.
    this.fleet.attach()
    apps.on((ev, prev) => {
      const key = keyOfApp(ev.object.metadata.namespace!, ev.object.metadata.name)
      if (ev.type === 'MODIFIED' && prev && this.ownStatusWrite(key, prev, ev.object)) return
      this.fullReconcile(key)
    })
    instances.on((ev, prev) => {
      const i = ev.object
      const key = keyOfApp(i.metadata.namespace!, i.spec.app)
      if (prev && prev.spec.site !== i.spec.site) this.disown(key, prev)
      if (ev.type === 'DELETED') this.disown(key, i)
      else this.own(key, i)
      // Status changes matter only when readiness, phase or restarts (crash loops) moved. A session
      // pool's instance concerns its site's pool (a full reconcile still follows within FULL_EVERY_MS).
      if (ev.type !== 'MODIFIED' || prev?.status?.ready !== i.status?.ready || prev?.status?.phase !== i.status?.phase || prev?.status?.restarts !== i.status?.restarts) {
        if (i.spec.sessionKey && (!prev || prev.spec.site === i.spec.site)) this.poolChanged(key, i.spec.site)
        else this.fullReconcile(key)
      }
    })
    const all = () => { for (const a of apps.list()) this.fullReconcile(keyOfApp(a.metadata.namespace!, a.metadata.name)) }
    // A site's image arrived (or failed): the rollouts under way look again.
    this.o.images?.onChange(() => {
      for (const a of apps.list()) if (a.status?.rollout?.phase === 'Progressing' || a.status?.rollout?.phase === 'Paused') this.fullReconcile(keyOfApp(a.metadata.namespace!, a.metadata.name))
    })
    sites.on((ev, prev) => { if (ev.type !== 'MODIFIED' || !deepEqual(prev?.spec, ev.object.spec) || !deepEqual(prev?.metadata.labels, ev.object.metadata.labels)) all() })
    nodes.on((ev, prev) => {
      const n = ev.object
      if (ev.type !== 'MODIFIED' || !prev || isNodeReady(prev) !== isNodeReady(n) || !deepEqual(prev.status?.allocatable, n.status?.allocatable) || !deepEqual(prev.spec, n.spec)) all()
    })
    for (const i of instances.list()) this.own(keyOfApp(i.metadata.namespace!, i.spec.app), i)
    all()
    // Instances whose app is gone (deleted while the server was down) are cleaned up too.
    for (const key of this.owned.keys()) this.fullReconcile(key)
  }

  /** Only the status changed, to what this controller is writing. */
  private ownStatusWrite(key: string, prev: App, next: App): boolean {
    const mine = this.writing.get(key)
    return !!mine && prev.metadata.generation === next.metadata.generation && deepEqual(prev.metadata.labels, next.metadata.labels) &&
      deepEqual(prev.metadata.annotations, next.metadata.annotations) && deepEqual(next.status, mine)
  }

  private instancesOf(key: string): Instance[] {
    const [ns] = key.split('/')
    return [...(this.owned.get(key) ?? [])].map((n) => this.o.instances.get(ns, n)).filter((i): i is Instance => !!i)
  }

  private instancesIn(key: string, sites: Iterable<string>): Instance[] {
    const [ns] = key.split('/')
    const bySite = this.ownedBySite.get(key)
    const out: Instance[] = []
    for (const site of sites) for (const n of bySite?.get(site) ?? []) {
      const i = this.o.instances.get(ns, n)
      if (i) out.push(i)
    }
    return out
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [ns, name] = key.split('/')
    const app = this.o.apps.get(ns, name)
    // Only some of a session app's pools changed: those sites alone (before anything walks the app).
    const only = app ? this.changes.take(key, !!app.spec.sessions && !!this.o.pools && poolsSettled(app)) : undefined
    if (app && only) {
      await this.reconcilePoolSites(app, key, only)
      return { requeueAfterMs: this.changes.fullDueInMs(key) }
    }
    const mine = this.instancesOf(key)
    if (!app) {
      this.changes.forget(key)
      this.o.images?.want(key, new Map())
      for (const i of mine) await this.deleteInstance(i)
      await this.revisions?.deleteAll(ns, name)
      this.preemptions.forget(key)
      return
    }
    const now = this.o.clock.now()
    const revision = templateRevision(app.spec.template)
    const strategy = defaultStrategy(app.spec.rollout)
    const lastGood = app.status?.lastGoodRevision
    let current: Template
    try {
      current = await this.revisions?.ensure(app, revision, lastGood ? [lastGood] : [], app.spec.rollout?.revisionHistoryLimit ?? 10) ?? app.spec.template
    } catch (err) {
      // No Revision without its image's digest: what runs keeps running, the app says why, and the
      // registry is asked again with backoff (the work queue's).
      if (!(err instanceof ImageResolveError)) throw err
      await imageUnresolved(this.o, app, err)
      throw err
    }

    // 1. Placement, revision-agnostic (every instance is in the fleet at revision `*`):
    // replacements in progress share their old instance's slot, so they are out of the fleet while
    // this app is planned and the room for its replacements (3b) is taken, and back right after,
    // before anything else can read or change the fleet.
    const fleet = this.fleet.attach()
    const inProgress = replacementNames(mine)
    const host = app.spec.traffic?.host
    const scale = autoscaleStep(app, host && this.o.observed ? this.o.observed(host) : {}, now)
    const demand = this.o.demand?.(app)
    const request = requestOf(app.spec.template)
    const hidden = [...inProgress].map((n) => fleet.instance(n)).filter((p): p is PlacedInstance => p?.app === key)
    let plan: Plan
    let room: NodeRoom
    for (const p of hidden) fleet.deleteInstance(p.name)
    try {
      plan = app.spec.sessions && this.o.pools
        ? planPools(app, this.o.pools, mine.filter((i) => !inProgress.has(i.metadata.name)), fleet, request)
        : schedule(fleet, {
          app, appKey: key, revision: ANY_REVISION, now,
          recentPreemptions: this.preemptions.recent(key, now),
          ...(scale ? { replicas: scale.decision.replicas } : {}),
          ...(demand?.length ? { demand } : {}),
        })
      room = new NodeRoom(fleet, sitesOf(mine, fleet))
    } finally {
      for (const p of hidden) fleet.putInstance(p)
    }
    // A reconcile of 10,000 instances is 300–700 ms of work; in one piece it held the loop (1,000
    // closed links were written down only after it): between its steps the loop serves the rest.
    if (mine.length >= YIELD_AT) await yieldToLoop()
    const removed = new Set(plan.remove)
    // Lost to failover: kept (their node may still serve them) but neither counted nor touched by
    // the rollout; a replacement in progress of a lost instance waits with it.
    const lost = new Set(plan.lost ?? [])
    const untouched = (i: Instance) => lost.has(i.metadata.name) || lost.has(i.metadata.annotations?.[REPLACES_ANNOTATION] ?? '')
    // Preemption victims stop first; the placements that need their room (Placement.after) are
    // created right after, in this reconcile. Waiting for a later plan instead would leave the
    // room free for the victims' own app, which would take it back at once (its reconcile runs on
    // the deletion) and be preempted again: churn until the budget is spent.
    for (const v of plan.preempt ?? []) await this.preempt(app, v, now)
    const desired = new Map<string, number>()
    for (const i of mine) if (!inProgress.has(i.metadata.name) && !removed.has(i.metadata.name) && !lost.has(i.metadata.name)) desired.set(i.spec.site, (desired.get(i.spec.site) ?? 0) + 1)
    for (const p of plan.place) desired.set(p.site, (desired.get(p.site) ?? 0) + 1)

    // 2. The rollout step: which revision each site is driven to (a wave's sites start once they hold the image).
    // The pinned image (registry/repo@digest) of the Revision: the bytes every site will run.
    const image = this.o.images && lastGood && lastGood !== revision ? templateImage(current) : undefined
    const observed = this.observe(app, mine.filter((i) => !untouched(i)), desired)
    const rolloutInput = {
      revision, lastGood, strategy, paused: !!app.spec.paused, now: this.o.clock.now(),
      sites: image ? observeImages(observed, this.o.images!, image) : observed,
    }
    const step = advanceRollout(app.status?.rollout, rolloutInput)
    if (this.o.images) for (const e of predistribute(this.o.images, key, app.status?.rollout, step.status, image)) this.o.events.record(app, e.type, e.reason, e.message)
    // Whether the rollout would move again from what this reconcile writes (a wave done starts the
    // next): then the next reconcile follows at once. Per-site progress of a first deployment, which
    // changes with every readiness burst, moves nothing further.
    const rolloutSettled = deepEqual(advanceRollout(step.status, rolloutInput).status, step.status)
    for (const e of step.events) this.o.events.record(app, e.type, e.reason, e.message)
    const fallbackRevision = step.status.phase === 'RolledBack' ? lastGood! : lastGood ?? revision
    const templateOf = (rev: string): Template | undefined => rev === revision ? current : this.revisions?.templateOf(app, rev, mine) ?? mine.find((i) => i.spec.revision === rev)?.spec.template

    // Per-instance events, summarised when one reconcile changes many instances.
    const notes = new EventBatch(this.o.events, app)
    try {
      // 3a. Placement changes. New instances are created together, in one synchronous run: the
      // store commits them in one transaction and one fsync, so placing an app on 10,000 sites is
      // one commit, not 10,000 (in chunks of 1,000 awaited one after another it took 4.3 s). A
      // replacement for a failed-over instance lands in another site and takes that site's target
      // revision, like any new instance there.
      await together(plan.place, (p) => {
        let rev = step.targets.get(p.site) ?? fallbackRevision
        let template = templateOf(rev)
        if (!template) { rev = revision; template = current }
        return this.createInstance(app, notes, p.node, p.site, rev, template)
      })
      await together(mine.filter((x) => removed.has(x.metadata.name) || (x.metadata.annotations?.[REPLACES_ANNOTATION] !== undefined && removed.has(x.metadata.annotations[REPLACES_ANNOTATION]))), async (i) => {
        await this.deleteInstance(i)
        notes.add('Removed', `instance ${i.metadata.name} removed from node ${i.spec.node}`)
      })

      // 3b. Replacements toward each site's target revision, in the room the plan saw.
      // Planned site by site (each takes its room), then written together like 3a: a wave
      // over 1,000 sites is one store batch, not 1,000 sequential commits.
      const live = groupBySite(mine.filter((i) => !removed.has(i.metadata.name) && !untouched(i)))
      const creates: (() => Promise<void>)[] = []
      const deletes: Instance[] = []
      for (const [site, target] of step.targets) {
        const inSite = live.get(site)
        if (!inSite) continue
        const template = templateOf(target)
        if (!template) continue
        const actions = planReplacements({
          target, instances: inSite.map(siteInstance),
          maxSurge: app.spec.rollout?.maxSurge ?? 1,
          maxUnavailable: unavailableBudget(app.spec.rollout?.maxUnavailable, desired.get(site) ?? inSite.length, app.spec.rollout?.maxSurge ?? 1),
          fits: (node) => room.fits(node, request),
          nodes: room.nodesOf(site, request),
        })
        for (const c of actions.create) {
          room.take(c.node, request)
          creates.push(() => this.createInstance(app, notes, c.node, site, target, template, c.replaces))
        }
        for (const n of actions.delete) {
          const inst = inSite.find((i) => i.metadata.name === n)
          if (inst) deletes.push(inst)
        }
      }
      await together(creates, (create) => create())
      await together(deletes, async (i) => { await this.deleteInstance(i) })
    } finally {
      notes.flush()
    }

    // 4. Status.
    if (mine.length >= YIELD_AT) await yieldToLoop()
    // What the next reconcile reads back from the status changed: it follows at once (the event of
    // this controller's own status write starts none).
    if (await this.writeStatus(app, revision, step, plan, scale, rolloutSettled)) this.fullReconcile(key)

    // Look again at the earliest of: the rollout's soak and deadlines (at most 5 s apart); session
    // pools, which shrink on a timer (idle instances); a failover or return dwell ending; a held
    // scale-down becoming due, and the load of autoscaled apps, which moves by itself.
    const waits: number[] = []
    if (step.recheckMs !== undefined) waits.push(Math.min(step.recheckMs, 5000))
    if (app.spec.sessions) waits.push(5000)
    if (plan.recheckAt !== undefined) waits.push(Math.max(0, plan.recheckAt - now))
    if (scale) waits.push(AUTOSCALE_SYNC_MS)
    if (scale?.decision.retryAt !== undefined) waits.push(Math.max(0, scale.decision.retryAt - now))
    return waits.length ? { requeueAfterMs: Math.min(...waits) } : undefined
  }

  /**
   * A session app's pools in these sites only, when nothing else changed (poolsSettled): creates
   * and removes pool instances there, at the app's current revision. The rollout, the other sites
   * and the status wait for the next full reconcile (PoolChanges).
   */
  private async reconcilePoolSites(app: App, key: string, sites: ReadonlySet<string>): Promise<void> {
    const fleet = this.fleet.attach()
    const mine = this.instancesIn(key, sites)
    const inProgress = replacementNames(mine)
    const hidden = [...inProgress].map((n) => fleet.instance(n)).filter((p): p is PlacedInstance => p?.app === key)
    let plan: Plan
    for (const p of hidden) fleet.deleteInstance(p.name)
    try {
      plan = planPools(app, this.o.pools!, mine.filter((i) => !inProgress.has(i.metadata.name)), fleet, requestOf(app.spec.template), sites)
    } finally {
      for (const p of hidden) fleet.putInstance(p)
    }
    const revision = app.status!.revision!
    const template = this.revisions?.templateOf(app, revision, mine) ?? app.spec.template
    const notes = new EventBatch(this.o.events, app)
    try {
      await together(plan.place, (p) => this.createInstance(app, notes, p.node, p.site, revision, template))
      const removed = new Set(plan.remove)
      await together(mine.filter((x) => removed.has(x.metadata.name) || removed.has(x.metadata.annotations?.[REPLACES_ANNOTATION] ?? '')), async (i) => {
        await this.deleteInstance(i)
        notes.add('Removed', `instance ${i.metadata.name} removed from node ${i.spec.node}`)
      })
    } finally {
      notes.flush()
    }
  }

  /**
   * Stops a lower-priority instance so that this app's placement fits (graceful: its agent stops
   * it), with events on both apps. A victim already gone is not counted against the budget.
   */
  private async preempt(app: App, v: Preemption, now: number): Promise<void> {
    const [vns, vname] = v.victimApp.split('/')
    const inst = this.o.instances.get(vns, v.victim)
    if (!inst || !(await this.deleteInstance(inst))) return
    const key = keyOfApp(app.metadata.namespace!, app.metadata.name)
    this.preemptions.add(key, now)
    const victimApp = this.o.apps.get(vns, vname)
    const prio = app.spec.priority ?? 0
    this.o.events.record(app, 'Normal', 'Preempting', `stopped instance ${v.victim} of app ${v.victimApp} (priority ${victimApp?.spec.priority ?? 0}) on node ${v.forNode} in site ${v.site} to make room (priority ${prio})`)
    if (victimApp) this.o.events.record(victimApp, 'Warning', 'Preempted', `instance ${v.victim} on node ${v.forNode} in site ${v.site} stopped for app ${key} (priority ${prio})`)
  }

  /** What the rollout needs to know about each site the app is (or will be) in. */
  private observe(app: App, mine: Instance[], desired: Map<string, number>): SiteObservation[] {
    const fleet = this.fleet.attach()
    const names = new Set([...desired.keys(), ...mine.map((i) => i.spec.site)])
    // Grouped once: filtering every instance for every site is quadratic (10⁸ steps at 10,000 sites).
    const bySite = groupBySite(mine)
    const host = app.spec.traffic?.host
    return [...names].sort().map((site) => {
      const rate = host ? this.o.errorRate?.(site, host) : undefined
      return {
        site,
        labels: this.o.sites.get(undefined, site)?.metadata.labels ?? {},
        online: fleet.nodesIn(site).some((n) => n.info.ready),
        desired: desired.get(site) ?? 0,
        instances: (bySite.get(site) ?? []).map((i) => ({ revision: i.spec.revision, ready: !!i.status?.ready, restarts: i.status?.restarts ?? 0 })),
        ...(rate !== undefined ? { errorRate: rate } : {}),
      }
    })
  }

  private async createInstance(app: App, notes: EventBatch, node: string, site: string, revision: string, template: Template, replaces?: string): Promise<void> {
    const name = app.metadata.name
    const session = app.spec.sessions ? { sessionKey: newSessionKey(), slots: app.spec.sessions.slotsPerInstance ?? 1 } : {}
    const inst: Instance = {
      apiVersion: API_VERSION, kind: 'Instance',
      metadata: {
        name: this.instanceName(name), namespace: app.metadata.namespace,
        labels: { [APP_LABEL]: name, [REVISION_LABEL]: revision },
        ...(replaces ? { annotations: { [REPLACES_ANNOTATION]: replaces } } : {}),
        ...ownedBy(app),
      },
      spec: { app: name, revision, node, site, template, ...session },
    }
    // A random name can still be taken (an app of 10,000 instances with 6 hex digits collided in
    // almost every placement, and the failed create ended the reconcile): draw again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.store.create(inst)
        break
      } catch (err) {
        if (!isApiError(err, 'AlreadyExists') || attempt >= NAME_ATTEMPTS) throw err
        inst.metadata.name = this.instanceName(name)
      }
    }
    notes.add(replaces ? 'Replacing' : 'Placed', replaces
      ? `instance ${inst.metadata.name} (revision ${revision}) starting on node ${node} to replace ${replaces}`
      : `instance ${inst.metadata.name} (revision ${revision}) placed on node ${node} in site ${site}`)
  }

  private instanceName(app: string): string {
    return `${app.slice(0, 54)}-${(this.o.nameSuffix ?? randomSuffix)()}`
  }

  /** Deletes an instance; false when it was already gone. */
  private async deleteInstance(i: Instance): Promise<boolean> {
    try {
      await this.o.store.delete('Instance', i.metadata.namespace, i.metadata.name)
      return true
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
      return false
    }
  }

  /** Writes the app's status if it changed; true when it changed what the next reconcile reads back from it. */
  private async writeStatus(app: App, revision: string, step: RolloutStep, plan: Plan, scale: AutoscaleStep | undefined, rolloutSettled: boolean): Promise<boolean> {
    const { unplaced, message, reasons } = plan
    const key = keyOfApp(app.metadata.namespace!, app.metadata.name)
    const all = this.instancesOf(key)
    const bySite = new Map<string, { replicas: number; ready: number; updated: number }>()
    const byRevision = new Map<string, { replicas: number; ready: number }>()
    for (const i of all) {
      const s = bySite.get(i.spec.site) ?? { replicas: 0, ready: 0, updated: 0 }
      s.replicas++
      if (i.status?.ready) s.ready++
      if (i.spec.revision === revision) s.updated++
      bySite.set(i.spec.site, s)
      const r = byRevision.get(i.spec.revision) ?? { replicas: 0, ready: 0 }
      r.replicas++
      if (i.status?.ready) r.ready++
      byRevision.set(i.spec.revision, r)
    }
    const now = isoNow(this.o.clock)
    const scheduled = unplaced > 0
      ? { type: 'Scheduled', status: 'False' as const, reason: 'Unschedulable', message }
      : { type: 'Scheduled', status: 'True' as const, reason: 'Placed', message }
    const ready = all.filter((i) => i.status?.ready).length
    // A session app's size follows its pools: every instance it has is wanted; an autoscaled one
    // wants what the autoscaler asked for.
    const wanted = app.spec.sessions ? all.length : scale?.decision.replicas ?? app.spec.replicas
    const available = ready >= wanted
      ? { type: 'Available', status: 'True' as const, reason: 'ReplicasReady', message: `${ready}/${wanted} replicas ready` }
      : { type: 'Available', status: 'False' as const, reason: 'ReplicasNotReady', message: `${ready}/${wanted} replicas ready` }
    const r = step.status
    const progressing = r.phase === 'Succeeded'
      ? { type: 'Progressing', status: 'False' as const, reason: 'RolloutSucceeded', message: r.message ?? '' }
      : r.phase === 'RolledBack' || r.phase === 'Failed'
        ? { type: 'Progressing', status: 'False' as const, reason: r.phase === 'RolledBack' ? 'RolloutRolledBack' : 'RolloutFailed', message: r.message ?? '' }
        : { type: 'Progressing', status: 'True' as const, reason: r.phase === 'Paused' ? 'RolloutPaused' : 'RolloutProgressing', message: r.message ?? '' }
    let conditions = setCondition(app.status?.conditions, scheduled, now)
    conditions = setCondition(conditions, available, now)
    conditions = setCondition(conditions, progressing, now)
    if (getCondition(conditions, 'ImageResolved')) conditions = setCondition(conditions, imageResolved(app), now)
    const lastGood = step.lastGood ?? app.status?.lastGoodRevision
    const status: AppStatus = {
      observedGeneration: app.metadata.generation,
      revision,
      ...(lastGood ? { lastGoodRevision: lastGood } : {}),
      replicas: all.length,
      readyReplicas: ready,
      updatedReplicas: all.filter((i) => i.spec.revision === revision).length,
      availableReplicas: all.filter((i) => i.spec.revision === revision && i.status?.ready).length,
      conditions,
      sites: [...bySite.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([site, s]) => {
        const target = step.targets.get(site)
        return { site, ...s, ...(target ? { revision: target } : {}) }
      }),
      revisions: [...byRevision.entries()].map(([rev, c]) => {
        const number = this.revisions?.numberOf(app, rev)
        return { revision: rev, ...(number !== undefined ? { number } : {}), ...c }
      }).sort((a, b) => (a.number ?? 0) - (b.number ?? 0) || (a.revision < b.revision ? -1 : 1)),
      rollout: r,
      ...(plan.decisions ? { placement: statusPlacement(plan.decisions, plan.decisionsOmitted ?? 0) } : {}),
      ...(scale ? { autoscale: scale.status } : {}),
    }
    if (deepEqual(app.status, status)) return false
    // Compared as written (both bounded the same way), so a repeated reconcile repeats nothing.
    if (status.placement) for (const e of failoverNotes(app.status?.placement?.decisions, status.placement.decisions)) this.o.events.record(app, e.type, e.reason, e.message)
    const before = app.status?.autoscale?.replicas
    if (scale && before !== undefined && before !== scale.decision.replicas) {
      this.o.events.record(app, 'Normal', 'Autoscaled', `replicas ${before} → ${scale.decision.replicas}: ${scale.decision.reason}`)
    }
    const wasScheduled = getCondition(app.status?.conditions, 'Scheduled')
    if (unplaced > 0 && (wasScheduled?.status !== 'False' || wasScheduled.message !== message)) {
      this.o.events.record(app, 'Warning', 'FailedScheduling', `${unplaced} replica(s) not placed: ${message} (${Object.entries(reasons).map(([k, n]) => `${n} ${k}`).join(', ')})`)
    }
    const prev = app.status
    const readBack = prev?.revision !== status.revision || prev?.observedGeneration !== status.observedGeneration ||
      prev?.lastGoodRevision !== status.lastGoodRevision || !rolloutSettled || !deepEqual(prev?.autoscale, status.autoscale)
    this.writing.set(key, status)
    try {
      await this.o.store.update({ ...app, status }, { subresource: 'status' })
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
    } finally {
      if (this.writing.get(key) === status) this.writing.delete(key)
    }
    return readBack
  }

  stop(): void { this.queue.stop() }
}

function siteInstance(i: Instance): SiteInstance {
  return {
    name: i.metadata.name, node: i.spec.node, revision: i.spec.revision, ready: !!i.status?.ready,
    ...(i.metadata.annotations?.[REPLACES_ANNOTATION] ? { replaces: i.metadata.annotations[REPLACES_ANNOTATION] } : {}),
  }
}

/** Instances that are replacements of another instance still present (they share its slot). */
function replacementNames(instances: Instance[]): Set<string> {
  const out = new Set<string>()
  for (const list of groupBySite(instances).values()) for (const r of occupants(list.map(siteInstance)).replacements.values()) out.add(r.name)
  return out
}

/** Instances by site, each list in the given order. */
function groupBySite(instances: Instance[]): Map<string, Instance[]> {
  const out = new Map<string, Instance[]>()
  for (const i of instances) {
    const list = out.get(i.spec.site)
    if (list) list.push(i)
    else out.set(i.spec.site, [i])
  }
  return out
}

/** The sites of these instances and of their nodes (should an instance's copy of its site be stale). */
function sitesOf(instances: Instance[], fleet: FleetIndex): Set<string> {
  const out = new Set<string>()
  for (const i of instances) {
    out.add(i.spec.site)
    const n = fleet.node(i.spec.node)
    if (n) out.add(n.info.site)
  }
  return out
}

/**
 * A session app whose pools may be replanned site by site: its status describes its current spec
 * and no rollout is under way (the last good revision is the current one, so every site's target
 * is that revision and a new pool instance takes it).
 */
function poolsSettled(app: App): boolean {
  const st = app.status
  return !!st?.revision && st.observedGeneration === app.metadata.generation && st.lastGoodRevision === st.revision
}

export function keyOfApp(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

/**
 * Placement of a session app: each usable site gets the pool size the session service wants; idle
 * instances beyond it stop (only idle ones: a session is never cut short by scaling). `only`: plan
 * these sites alone (`occupants` are then theirs).
 */
function planPools(app: App, pools: PoolPlanner, occupants: Instance[], fleet: FleetIndex, request: { cpu: number; memory: number }, only?: ReadonlySet<string>): Plan {
  const bySite = groupBySite(occupants)
  const planned = only ? [...only].sort() : [...new Set([...pools.poolSites(app), ...bySite.keys()])].sort()
  const room = new NodeRoom(fleet, planned)
  const place: Plan['place'] = []
  const remove: string[] = []
  let unplaced = 0
  let usable = 0
  for (const site of planned) {
    const have = bySite.get(site) ?? []
    const isPoolSite = pools.isPoolSite(app, site)
    if (isPoolSite) usable++
    // A site that is down (or left the placement) keeps what it runs: no cold start to pay when it returns.
    const want = isPoolSite ? pools.desired(app, site) : have.length
    if (want > have.length) {
      for (let k = have.length; k < want; k++) {
        const node = room.nodesOf(site, request)[0]
        if (!node) { unplaced += want - k; break }
        room.take(node, request)
        place.push({ node, site })
      }
    } else if (want < have.length) {
      const names = new Set(have.map((i) => i.metadata.name))
      remove.push(...pools.removable(app, site).filter((n) => names.has(n)).slice(0, have.length - want))
    }
  }
  const message = unplaced ? `${unplaced} pool instance(s) do not fit on any node of their site` : `session pools on ${usable} site(s)`
  return { place, remove, unplaced, reasons: unplaced ? { 'insufficient capacity': unplaced } : {}, message }
}
