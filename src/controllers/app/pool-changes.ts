// What the next reconcile of a session app must look at. A pool change (an allocation or release
// that moved a pool's wanted size, a pool instance appearing or turning ready) concerns one site:
// replanning that site alone keeps an allocation's cost flat as the fleet grows. Anything else
// (the app, a site or a node changed, a requeue, a retry) owes a full reconcile, and a full one
// runs at least every FULL_EVERY_MS while pool changes stream in, so status, the rollout and
// scale-down keep up: the controller stays level-triggered, only the status may lag that long.
import type { Clock } from '../../lib/clock.js'

export const FULL_EVERY_MS = 1000

export class PoolChanges {
  private sites = new Map<string, Set<string>>()
  private owed = new Set<string>()
  private lastFull = new Map<string, number>()

  constructor(private clock: Clock) {}

  /** A pool of the app changed in this site. */
  pool(key: string, site: string): void {
    let set = this.sites.get(key)
    if (!set) this.sites.set(key, (set = new Set()))
    set.add(site)
  }

  /** Something other than a pool changed: the next reconcile of the app is a full one. */
  full(key: string): void {
    this.owed.add(key)
  }

  /**
   * The sites the next reconcile may replan alone, or undefined for a full reconcile (whose time
   * is recorded). `partialOk`: the app allows it (e.g. no rollout in progress). Clears what it hands out.
   */
  take(key: string, partialOk: boolean): ReadonlySet<string> | undefined {
    const now = this.clock.now()
    const sites = this.sites.get(key)
    const last = this.lastFull.get(key)
    this.sites.delete(key)
    if (partialOk && sites && !this.owed.has(key) && last !== undefined && now - last < FULL_EVERY_MS) return sites
    this.owed.delete(key)
    this.lastFull.set(key, now)
    return undefined
  }

  /** How long until a full reconcile is due (after a partial one). */
  fullDueInMs(key: string): number {
    const last = this.lastFull.get(key)
    return last === undefined ? 0 : Math.max(0, last + FULL_EVERY_MS - this.clock.now())
  }

  forget(key: string): void {
    this.sites.delete(key)
    this.owed.delete(key)
    this.lastFull.delete(key)
  }
}
