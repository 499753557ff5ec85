// Free room on nodes, from the scheduler's fleet, for the few placements the controller makes
// itself (rollout surges, session pools). A zero request always fits, as in the scheduler.
import type { Capacity } from '../../api/kinds/index.js'
import { usedOf, type FleetIndex } from '../../scheduler/fleet.js'

export class NodeRoom {
  private free = new Map<string, Capacity>()
  private bySite = new Map<string, string[]>()

  /**
   * The room on the Ready, not cordoned nodes of the given sites, as the fleet has it now (a copy:
   * later changes to the fleet do not show). Other sites and nodes have none.
   */
  constructor(fleet: FleetIndex, sites: Iterable<string>) {
    for (const site of new Set(sites)) {
      for (const n of fleet.nodesIn(site)) {
        if (!n.info.ready || n.info.unschedulable) continue
        const used = usedOf(n)
        this.free.set(n.info.name, { cpu: n.info.allocatable.cpu - used.cpu, memory: n.info.allocatable.memory - used.memory })
        const list = this.bySite.get(site)
        if (list) list.push(n.info.name)
        else this.bySite.set(site, [n.info.name])
      }
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
