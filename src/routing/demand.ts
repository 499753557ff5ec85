// Where each app's users are: the gateways' request counts by client prefix, located with the geo
// locator and kept as exponentially decaying counters per place (about 0.1° cells), so old demand
// fades. The input for demand-driven placement and autoscaling (one capacity signal, principle 6).
import type { Clock } from '../lib/clock.js'
import type { ClientLocation, GeoLocator, GeoPoint } from './types.js'

export interface DemandPoint {
  point: GeoPoint
  /** Requests per second, decayed. */
  weight: number
  region?: string
  country?: string
}

interface Cell { point: GeoPoint; value: number; at: number; region?: string; country?: string }

/** Counters decay with this time constant: a burst counts for a few minutes, not forever. */
const TAU_MS = 120_000
const MAX_CELLS_PER_HOST = 5000

export class DemandTracker {
  private hosts = new Map<string, Map<string, Cell>>()
  private located = new Map<string, ClientLocation>()

  constructor(private geo: GeoLocator, private clock: Clock) {}

  /** Counts from one gateway report: request count by client prefix ("a.b.c.0/24", "x:y:z::/48"). */
  record(host: string, byPrefix: Record<string, number>): void {
    const now = this.clock.now()
    const h = host.toLowerCase()
    let cells = this.hosts.get(h)
    if (!cells) this.hosts.set(h, (cells = new Map()))
    for (const [prefix, count] of Object.entries(byPrefix)) {
      const loc = this.locate(prefix)
      if (!loc?.point || count <= 0) continue
      const key = `${Math.round(loc.point.lat * 10) / 10},${Math.round(loc.point.lon * 10) / 10}`
      const cell = cells.get(key)
      if (cell) {
        cell.value = decayed(cell, now) + count
        cell.at = now
      } else if (cells.size < MAX_CELLS_PER_HOST) {
        cells.set(key, { point: loc.point, value: count, at: now, ...(loc.region ? { region: loc.region } : {}), ...(loc.country ? { country: loc.country } : {}) })
      }
    }
  }

  private locate(prefix: string): ClientLocation | undefined {
    let loc = this.located.get(prefix)
    if (!loc) {
      const ip = prefix.split('/')[0]
      loc = this.geo.locate(ip)
      if (this.located.size > 100_000) this.located.clear()
      this.located.set(prefix, loc)
    }
    return loc
  }

  /** Demand points for a host, heaviest first; cells that faded out are dropped. */
  points(host: string): DemandPoint[] {
    const cells = this.hosts.get(host.toLowerCase())
    if (!cells) return []
    const now = this.clock.now()
    const out: DemandPoint[] = []
    for (const [k, c] of cells) {
      const v = decayed(c, now)
      if (v < 0.5) { cells.delete(k); continue }
      out.push({ point: c.point, weight: (v / TAU_MS) * 1000, ...(c.region ? { region: c.region } : {}), ...(c.country ? { country: c.country } : {}) })
    }
    return out.sort((a, b) => b.weight - a.weight)
  }

  /** Requests per second for a host, over all places. */
  rate(host: string): number {
    return this.points(host).reduce((s, p) => s + p.weight, 0)
  }
}

function decayed(c: Cell, now: number): number {
  return c.value * Math.exp(-(now - c.at) / TAU_MS)
}
