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

  constructor(private o: { store: Store; clock: Clock; log: Logger; sites: Cache<Site>; nodes: Cache<Node> }) {
    this.queue = new WorkQueue({ name: 'sites', clock: o.clock, log: o.log, reconcile: (k) => this.reconcile(k) })
  }

  start(): void {
    this.o.nodes.on((ev, prev) => {
      this.queue.add(ev.object.spec.site)
      if (prev && prev.spec.site !== ev.object.spec.site) this.queue.add(prev.spec.site)
    })
    this.o.sites.on((ev) => { if (ev.type === 'ADDED') this.queue.add(ev.object.metadata.name) })
    for (const s of this.o.sites.list()) this.queue.add(s.metadata.name)
  }

  async reconcile(name: string): Promise<void> {
    const site = this.o.sites.get(undefined, name)
    if (!site) return
    const nodes = this.o.nodes.list().filter((n) => n.spec.site === name)
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

  stop(): void { this.queue.stop() }
}
