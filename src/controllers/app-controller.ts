// Turns each App into Instances: asks the pure scheduler for a plan, commits it, replaces instances
// of older revisions once the new ones are ready, and writes the App's status. Level-triggered:
// every reconcile compares the desired state with what the caches show and is safe to repeat.
import { randomBytes } from 'node:crypto'
import { isApiError } from '../api/errors.js'
import type { App, AppStatus, Instance, Node, Site } from '../api/kinds/index.js'
import { API_VERSION, getCondition, setCondition } from '../api/meta.js'
import { templateRevision } from '../api/revision.js'
import { isoNow, type Clock } from '../lib/clock.js'
import { deepEqual } from '../lib/equal.js'
import type { Logger } from '../lib/log.js'
import { schedule } from '../scheduler/schedule.js'
import type { Cache } from '../store/cache.js'
import type { Store } from '../store/types.js'
import type { EventRecorder } from './events.js'
import { WorkQueue } from './runtime/work-queue.js'
import { buildSnapshot, isNodeReady } from './snapshot.js'

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
}

export class AppController {
  readonly queue: WorkQueue
  /** namespace/app → names of its instances, kept from the instance cache. */
  private owned = new Map<string, Set<string>>()

  constructor(private o: AppControllerOptions) {
    this.queue = new WorkQueue({ name: 'apps', clock: o.clock, log: o.log, reconcile: (k) => this.reconcile(k) })
  }

  start(): void {
    const { apps, sites, nodes, instances } = this.o
    apps.on((ev) => this.queue.add(keyOfApp(ev.object.metadata.namespace!, ev.object.metadata.name)))
    instances.on((ev, prev) => {
      const i = ev.object
      const key = keyOfApp(i.metadata.namespace!, i.spec.app)
      let set = this.owned.get(key)
      if (ev.type === 'DELETED') set?.delete(i.metadata.name)
      else {
        if (!set) this.owned.set(key, (set = new Set()))
        set.add(i.metadata.name)
      }
      // Status changes matter only when readiness or phase moved.
      if (ev.type !== 'MODIFIED' || prev?.status?.ready !== i.status?.ready || prev?.status?.phase !== i.status?.phase) this.queue.add(key)
    })
    const all = () => { for (const a of apps.list()) this.queue.add(keyOfApp(a.metadata.namespace!, a.metadata.name)) }
    sites.on((ev, prev) => { if (ev.type !== 'MODIFIED' || !deepEqual(prev?.spec, ev.object.spec) || !deepEqual(prev?.metadata.labels, ev.object.metadata.labels)) all() })
    nodes.on((ev, prev) => {
      const n = ev.object
      if (ev.type !== 'MODIFIED' || !prev || isNodeReady(prev) !== isNodeReady(n) || !deepEqual(prev.status?.allocatable, n.status?.allocatable) || !deepEqual(prev.spec, n.spec)) all()
    })
    for (const i of instances.list()) {
      const key = keyOfApp(i.metadata.namespace!, i.spec.app)
      if (!this.owned.has(key)) this.owned.set(key, new Set())
      this.owned.get(key)!.add(i.metadata.name)
    }
    all()
    // Instances whose app is gone (deleted while the server was down) are cleaned up too.
    for (const key of this.owned.keys()) this.queue.add(key)
  }

  private instancesOf(key: string): Instance[] {
    const [ns] = key.split('/')
    return [...(this.owned.get(key) ?? [])].map((n) => this.o.instances.get(ns, n)).filter((i): i is Instance => !!i)
  }

  async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/')
    const app = this.o.apps.get(ns, name)
    const mine = this.instancesOf(key)
    if (!app) {
      for (const i of mine) await this.deleteInstance(i)
      return
    }
    const revision = templateRevision(app.spec.template)
    const plan = schedule(buildSnapshot(this.o), { app, appKey: key, revision })
    for (const p of plan.place) {
      const inst: Instance = {
        apiVersion: API_VERSION, kind: 'Instance',
        metadata: { name: `${name}-${randomBytes(3).toString('hex')}`.slice(-63), namespace: ns, labels: { [APP_LABEL]: name, [REVISION_LABEL]: revision } },
        spec: { app: name, revision, node: p.node, site: p.site, template: app.spec.template },
      }
      await this.o.store.create(inst)
      this.o.events.record(app, 'Normal', 'Placed', `instance ${inst.metadata.name} placed on node ${p.node} in site ${p.site}`)
    }
    const removed = new Set(plan.remove)
    for (const i of mine.filter((x) => removed.has(x.metadata.name))) {
      await this.deleteInstance(i)
      this.o.events.record(app, 'Normal', 'Removed', `instance ${i.metadata.name} removed from node ${i.spec.node}`)
    }
    // Old revisions give way one for one to ready instances of the current revision (all of them
    // once it is fully ready, or when nothing is wanted at all). A revision that cannot be placed,
    // or never becomes ready, leaves the old instances serving.
    const current = this.instancesOf(key).filter((i) => i.spec.revision === revision)
    const old = this.instancesOf(key).filter((i) => i.spec.revision !== revision)
    const keepOld = Math.max(0, app.spec.replicas - current.filter((i) => i.status?.ready).length)
    if (old.length > keepOld) {
      // Not-ready ones first: they serve nobody.
      const doomed = old
        .sort((a, b) => Number(!!a.status?.ready) - Number(!!b.status?.ready) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
        .slice(0, old.length - keepOld)
      for (const i of doomed) await this.deleteInstance(i)
      this.o.events.record(app, 'Normal', 'RevisionReplaced', `${doomed.length} instance(s) of older revisions replaced by revision ${revision}`)
    }
    await this.writeStatus(app, revision, plan.unplaced, plan.message, plan.reasons)
  }

  private async deleteInstance(i: Instance): Promise<void> {
    try {
      await this.o.store.delete('Instance', i.metadata.namespace, i.metadata.name)
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
    }
  }

  private async writeStatus(app: App, revision: string, unplaced: number, message: string, reasons: Record<string, number>): Promise<void> {
    const key = keyOfApp(app.metadata.namespace!, app.metadata.name)
    const all = this.instancesOf(key)
    const bySite = new Map<string, { replicas: number; ready: number }>()
    for (const i of all) {
      const s = bySite.get(i.spec.site) ?? { replicas: 0, ready: 0 }
      s.replicas++
      if (i.status?.ready) s.ready++
      bySite.set(i.spec.site, s)
    }
    const now = isoNow(this.o.clock)
    const scheduled = unplaced > 0
      ? { type: 'Scheduled', status: 'False' as const, reason: 'Unschedulable', message }
      : { type: 'Scheduled', status: 'True' as const, reason: 'Placed', message }
    const ready = all.filter((i) => i.status?.ready).length
    const available = ready >= app.spec.replicas
      ? { type: 'Available', status: 'True' as const, reason: 'ReplicasReady', message: `${ready}/${app.spec.replicas} replicas ready` }
      : { type: 'Available', status: 'False' as const, reason: 'ReplicasNotReady', message: `${ready}/${app.spec.replicas} replicas ready` }
    let conditions = setCondition(app.status?.conditions, scheduled, now)
    conditions = setCondition(conditions, available, now)
    const status: AppStatus = {
      observedGeneration: app.metadata.generation,
      revision,
      replicas: all.length,
      readyReplicas: ready,
      updatedReplicas: all.filter((i) => i.spec.revision === revision).length,
      conditions,
      sites: [...bySite.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([site, s]) => ({ site, ...s })),
    }
    if (deepEqual(app.status, status)) return
    const wasScheduled = getCondition(app.status?.conditions, 'Scheduled')
    if (unplaced > 0 && (wasScheduled?.status !== 'False' || wasScheduled.message !== message)) {
      this.o.events.record(app, 'Warning', 'FailedScheduling', `${unplaced} replica(s) not placed: ${message} (${Object.entries(reasons).map(([r, n]) => `${n} ${r}`).join(', ')})`)
    }
    try {
      await this.o.store.update({ ...app, status }, { subresource: 'status' })
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
    }
  }

  stop(): void { this.queue.stop() }
}

export function keyOfApp(namespace: string, name: string): string {
  return `${namespace}/${name}`
}
