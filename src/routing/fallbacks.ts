// The next-best sites for a site's gateway (overflow), as rankSites would order them, without
// ranking every site for every site. Per host, the usable candidates are indexed once per table
// build: those with coordinates sorted by latitude, so the k nearest to a point are found by
// scanning outward in latitude and stopping once the latitude gap alone is farther than the k-th
// best (a great-circle distance is never shorter than R·|Δlat|). For 10,000 sites this turns the
// routes push from 10⁸ distance computations into a few hundred per site.
import { distanceKm, type SiteCandidate } from './policy.js'
import type { GeoPoint } from './types.js'

const EARTH_KM = 6371
const KM_PER_DEGREE = (Math.PI / 180) * EARTH_KM

interface Placed { c: SiteCandidate; lat: number }

/** rankSites' order among candidates of equal saturation: distance (rounded km), load, name. */
function better(a: { c: SiteCandidate; d: number }, b: { c: SiteCandidate; d: number }): boolean {
  return a.d !== b.d ? a.d < b.d : a.c.load !== b.c.load ? a.c.load < b.c.load : a.c.site < b.c.site
}

class Group {
  private placed: Placed[] = []
  private unplaced: SiteCandidate[] = []

  add(c: SiteCandidate): void {
    if (c.geo) this.placed.push({ c, lat: c.geo.lat })
    else this.unplaced.push(c)
  }

  seal(): void {
    this.placed.sort((a, b) => a.lat - b.lat)
    this.unplaced.sort((a, b) => a.load - b.load || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0))
  }

  /** Up to k candidates (not `exclude`) in rankSites' order as seen from `from`. */
  nearest(from: GeoPoint | undefined, exclude: string, k: number): SiteCandidate[] {
    const best: { c: SiteCandidate; d: number }[] = []
    const offer = (c: SiteCandidate, d: number) => {
      if (c.site === exclude) return
      const e = { c, d }
      if (best.length === k && !better(e, best[k - 1])) return
      let i = best.length
      while (i > 0 && better(e, best[i - 1])) i--
      best.splice(i, 0, e)
      if (best.length > k) best.pop()
    }
    if (!from) {
      // No point to measure from: every distance is unknown, so placed and unplaced sites are
      // alike and go by load, then name.
      for (const p of this.placed) offer(p.c, Infinity)
      for (const c of this.unplaced) offer(c, Infinity)
      return best.map((b) => b.c)
    } else {
      const list = this.placed
      // First index with lat >= from.lat; scan both ways.
      let lo = 0, hi = list.length
      while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid].lat < from.lat) lo = mid + 1; else hi = mid }
      let down = lo - 1, up = lo
      const bound = () => (best.length < k ? Infinity : best[k - 1].d + 1)
      while (down >= 0 || up < list.length) {
        const gapDown = down >= 0 ? (from.lat - list[down].lat) * KM_PER_DEGREE : Infinity
        const gapUp = up < list.length ? (list[up].lat - from.lat) * KM_PER_DEGREE : Infinity
        if (Math.min(gapDown, gapUp) > bound()) break
        const p = gapDown <= gapUp ? list[down--] : list[up++]
        offer(p.c, Math.round(distanceKm(from, p.c.geo!)))
      }
    }
    // Sites without coordinates come after every measured one (rankSites: unknown distance last).
    const out = best.map((b) => b.c)
    for (const c of this.unplaced) {
      if (out.length >= k) break
      if (c.site !== exclude) out.push(c)
    }
    return out
  }
}

/** Usable candidates of one host, indexed for fallback queries. */
export class FallbackIndex {
  private free = new Group()
  private saturated = new Group()

  constructor(candidates: SiteCandidate[]) {
    for (const c of candidates) {
      if (!c.gateways.length || c.ready === 0) continue
      ;(c.saturated ? this.saturated : this.free).add(c)
    }
    this.free.seal()
    this.saturated.seal()
  }

  /** The first k of rankSites(usable candidates other than `site`, from), found without ranking them all. */
  fallbacks(site: string, from: GeoPoint | undefined, k = 3): SiteCandidate[] {
    const out = this.free.nearest(from, site, k)
    if (out.length < k) out.push(...this.saturated.nearest(from, site, k - out.length))
    return out
  }
}
