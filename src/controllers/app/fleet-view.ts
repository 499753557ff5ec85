// The scheduler's fleet (a FleetIndex) kept current from the watch-fed caches, so that a reconcile
// schedules against it instead of rebuilding a Snapshot of every site, node and instance
// (docs/scheduler.md, "Fleet: Snapshot or FleetIndex"). At any moment it holds what
// FleetIndex.from(buildSnapshot(caches)) would, except that every instance has revision `*`: the
// controller schedules every app revision-agnostically (revisions are the rollout's business), and
// the scheduler reads the revision of an app's own instances only.
import type { App, Instance, Node, Site } from '../../api/kinds/index.js'
import { statusOnly } from '../../api/kinds/index.js'
import type { Cache } from '../../store/cache.js'
import { FleetIndex } from '../../scheduler/fleet.js'
import type { PlacedInstance } from '../../scheduler/types.js'
import { nodeInfo, placedInstance, siteInfo, withReadiness } from '../snapshot.js'

/** The scheduler sees every instance of an app as one kind: revisions are the rollout's business. */
export const ANY_REVISION = '*'

export interface FleetViewCaches {
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
  /** Instances carry their app's priority (for preemption). */
  apps: Cache<App>
}

export class FleetView {
  readonly index = new FleetIndex()
  private attached = false

  constructor(private c: FleetViewCaches) {}

  /**
   * Fills the index from the caches and keeps it current from their events from now on (once; later
   * calls return the same index). Call it before any other handler of these caches is registered,
   * so that whatever those handlers start sees the index already updated.
   */
  attach(): FleetIndex {
    if (this.attached) return this.index
    this.attached = true
    const { sites, nodes, instances, apps } = this.c
    sites.on((ev) => {
      if (ev.type === 'DELETED') this.index.deleteSite(ev.object.metadata.name)
      else this.putSite(ev.object)
    })
    nodes.on((ev) => {
      const name = ev.object.metadata.name
      const was = this.index.node(name)?.info.site
      if (ev.type === 'DELETED') this.index.deleteNode(name)
      else this.index.putNode(nodeInfo(ev.object))
      // A site's readiness comes from its nodes.
      if (was !== undefined) this.refreshSite(was)
      if (ev.type !== 'DELETED' && ev.object.spec.site !== was) this.refreshSite(ev.object.spec.site)
    })
    instances.on((ev, prev) => {
      const i = ev.object
      if (ev.type === 'DELETED') this.index.deleteInstance(i.metadata.name)
      // A status report (same spec, same node) changes only readiness: no request to parse again,
      // no site to recount (every instance reports two or three times as it starts).
      else if (statusOnly(prev, i) && this.index.setReady(i.metadata.name, !!i.status?.ready)) return
      else this.index.putInstance(this.placed(i))
    })
    // An app's priority is on each of its instances: they carry the previous one (or none, when
    // they came before their app), so a change puts them again.
    apps.on((ev, prev) => {
      const priority = ev.type === 'DELETED' ? 0 : ev.object.spec.priority ?? 0
      if (priority === (prev?.spec.priority ?? 0)) return
      for (const p of this.index.instancesOf(`${ev.object.metadata.namespace}/${ev.object.metadata.name}`)) {
        const { priority: _, ...rest } = p
        this.index.putInstance(priority ? { ...rest, priority } : rest)
      }
    })
    for (const n of nodes.list()) this.index.putNode(nodeInfo(n))
    for (const s of sites.list()) this.putSite(s)
    for (const i of instances.list()) this.index.putInstance(this.placed(i))
    return this.index
  }

  private placed(i: Instance): PlacedInstance {
    const priority = this.c.apps.get(i.metadata.namespace, i.spec.app)?.spec.priority
    return { ...placedInstance(i, priority), revision: ANY_REVISION }
  }

  private putSite(s: Site): void {
    this.index.putSite(withReadiness([siteInfo(s)], this.index.nodesIn(s.metadata.name).map((n) => n.info))[0])
  }

  private refreshSite(name: string): void {
    const s = this.c.sites.get(undefined, name)
    if (s) this.putSite(s)
  }
}
