// Free room on nodes, from the scheduler's snapshot, for the few placements the controller makes
// itself (rollout surges). A zero request always fits, as in the scheduler.
import type { Capacity } from '../../api/kinds/index.js'
import type { Snapshot } from '../../scheduler/types.js'

export class NodeRoom {
  private free = new Map<string, Capacity>()
  private bySite = new Map<string, string[]>()

  constructor(snapshot: Snapshot) {
    for (const n of snapshot.nodes) {
      if (!n.ready || n.unschedulable) continue
      this.free.set(n.name, { ...n.allocatable })
      this.bySite.set(n.site, [...(this.bySite.get(n.site) ?? []), n.name])
    }
    for (const i of snapshot.instances) {
      const f = this.free.get(i.node)
      if (f) { f.cpu -= i.request.cpu; f.memory -= i.request.memory }
    }
  }

  fits(node: string, req: Capacity): boolean {
    const f = this.free.get(node)
    if (!f) return false
    return (req.cpu === 0 || f.cpu >= req.cpu) && (req.memory === 0 || f.memory >= req.memory)
  }

  take(node: string, req: Capacity): void {
    const f = this.free.get(node)
    if (f) { f.cpu -= req.cpu; f.memory -= req.memory }
  }

  /** The site's nodes that could take `req`, most free cpu first. */
  nodesOf(site: string, req: Capacity): string[] {
    return (this.bySite.get(site) ?? [])
      .filter((n) => this.fits(n, req))
      .sort((a, b) => this.free.get(b)!.cpu - this.free.get(a)!.cpu || this.free.get(b)!.memory - this.free.get(a)!.memory || (a < b ? -1 : 1))
  }
}
