// Site status: how many nodes, how many ready, and the capacity of the ready ones.
import type { Node, Site, SiteStatus } from '../api/kinds/index.js'
import { isApiError } from '../api/errors.js'
import type { Clock } from '../lib/clock.js'
import { deepEqual } from '../lib/equal.js'
import type { Logger } from '../lib/log.js'
import type { Cache } from '../store/cache.js'
import type { Store } from '../store/types.js'
import { WorkQueue } from './runtime/work-queue.js'
import { isNodeReady } from './snapshot.js'

export class SiteStatusController {
  readonly queue: WorkQueue
  /** site → names of its nodes, kept from the node cache (a reconcile reads its own, not every node). */
  private bySite = new Map<string, Set<string>>()

  constructor(private o: { store: Store; clock: Clock; log: Logger; sites: Cache<Site>; nodes: Cache<Node> }) {
    this.queue = new WorkQueue({ name: 'sites', clock: o.clock, log: o.log, reconcile: (k) => this.reconcile(k) })
  }

  start(): void {
    for (const n of this.o.nodes.list()) this.index(n.spec.site, n.metadata.name, true)
    this.o.nodes.on((ev, prev) => {
      const n = ev.object
      if (prev && prev.spec.site !== n.spec.site) {
        this.index(prev.spec.site, n.metadata.name, false)
        this.queue.add(prev.spec.site)
      }
      this.index(n.spec.site, n.metadata.name, ev.type !== 'DELETED')
      // Only what the site status is made of: a node's link counters are refreshed all the time.
      if (ev.type === 'MODIFIED' && prev && prev.spec.site === n.spec.site && isNodeReady(prev) === isNodeReady(n) &&
        deepEqual(prev.status?.capacity, n.status?.capacity) && deepEqual(prev.status?.allocatable, n.status?.allocatable)) return
      this.queue.add(n.spec.site)
    })
    this.o.sites.on((ev) => { if (ev.type === 'ADDED') this.queue.add(ev.object.metadata.name) })
    for (const s of this.o.sites.list()) this.queue.add(s.metadata.name)
  }

  async reconcile(name: string): Promise<void> {
    const site = this.o.sites.get(undefined, name)
    if (!site) return
    const nodes = [...(this.bySite.get(name) ?? [])].map((n) => this.o.nodes.get(undefined, n)).filter((n): n is Node => !!n && n.spec.site === name)
    const ready = nodes.filter(isNodeReady)
    const sum = (k: 'capacity' | 'allocatable') => ready.reduce((acc, n) => ({ cpu: acc.cpu + (n.status?.[k]?.cpu ?? 0), memory: acc.memory + (n.status?.[k]?.memory ?? 0) }), { cpu: 0, memory: 0 })
    const status: SiteStatus = { nodes: nodes.length, readyNodes: ready.length, capacity: sum('capacity'), allocatable: sum('allocatable') }
    if (site.status?.conditions) status.conditions = site.status.conditions
    if (deepEqual(site.status, status)) return
    try {
      await this.o.store.update({ ...site, status }, { subresource: 'status' })
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
    }
  }

  private index(site: string, node: string, present: boolean): void {
    let set = this.bySite.get(site)
    if (present) {
      if (!set) this.bySite.set(site, (set = new Set()))
      set.add(node)
    } else if (set) {
      set.delete(node)
      if (!set.size) this.bySite.delete(site)
    }
  }

  stop(): void { this.queue.stop() }
}
