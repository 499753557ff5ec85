// Where a session goes: a pure function of what the service knows in memory (per candidate site:
// distance, a warm slot or not, whether the pool can still grow, the cold start it has measured)
// and the request (distance budget, time left). No I/O, no clock.
//
// The rules, in order of distance (nearest first), within the budget only:
//   - a warm slot wins at once;
//   - a site without one that can grow wins by a cold start when the start it has measured (times
//     COLD_START_MARGIN) fits the time left: a cold start next door beats a warm slot far away;
//   - a site that cannot grow, or whose cold start would not fit, is passed over, with the reason.
// Nothing fits in time but some site within the budget can grow: the nearest of them is tried
// anyway (the estimate may be pessimistic; the caller's deadline still bounds the wait). Nothing
// within the budget: refused, with the reason per site. Never a silent far placement.

/** The default distance budget of a session, km (see README: ~25 ms round trip on fibre). */
export const SESSION_MAX_DISTANCE_KM = 1500
/** A cold start is counted on when its measured time times this fits the time left. */
export const COLD_START_MARGIN = 1.5

export interface SiteOption {
  site: string
  /** Great-circle distance to the client, km; undefined when the site's position is unknown. */
  km?: number
  warm: boolean
  /** Why this site cannot grow (its pool is at its cap); undefined when it can. */
  full?: string
  /** The cold start to expect here, ms, and whether it was measured (else the prior). */
  coldMs: number
  measured: boolean
}

export interface PlacementRequest {
  /** The distance budget, km; undefined when the client's position is unknown (no budget applies). */
  maxKm?: number
  /** Time left before the caller's deadline, ms. */
  leftMs: number
}

export type Placement =
  | { site: string; start: 'warm' | 'cold'; km?: number; reason: string }
  | { refused: string[] }

/** `options`: nearest first (unknown distances last). */
export function placeSession(options: readonly SiteOption[], req: PlacementRequest): Placement {
  const passed: string[] = []
  let fallback: SiteOption | undefined
  for (const o of options) {
    const at = label(o)
    if (req.maxKm !== undefined && (o.km === undefined || o.km > req.maxKm)) {
      passed.push(o.km === undefined ? `${o.site}: position unknown (maxDistanceKm ${req.maxKm} cannot be checked)` : `${at}: beyond maxDistanceKm ${req.maxKm}`)
      continue
    }
    if (o.warm) return { site: o.site, start: 'warm', km: o.km, reason: won(`warm slot at ${at}`, req, passed) }
    if (o.full) { passed.push(`${at}: ${o.full}`); continue }
    const expect = `${o.measured ? 'measured' : 'expected (no start measured yet)'} cold start ~${Math.round(o.coldMs)} ms`
    if (o.coldMs * COLD_START_MARGIN <= req.leftMs) {
      const warmBeyond = options.find((x) => x.warm && x !== o && (req.maxKm === undefined || (x.km !== undefined && x.km <= req.maxKm)))
      return { site: o.site, start: 'cold', km: o.km, reason: won(`cold start at ${at}: no warm slot, ${expect} fits the ${Math.round(req.leftMs)} ms left${warmBeyond ? `; preferred over the warm slot at ${label(warmBeyond)}` : ''}`, req, passed) }
    }
    passed.push(`${at}: no warm slot, and a ${expect} would not fit the ${Math.round(req.leftMs)} ms left`)
    fallback ??= o
  }
  if (fallback) return { site: fallback.site, start: 'cold', km: fallback.km, reason: won(`cold start at ${label(fallback)}, tried although it may not fit the deadline: nothing nearer fits`, req, passed) }
  return { refused: passed }
}

function label(o: SiteOption): string {
  return o.km === undefined ? o.site : `${o.site} (${Math.round(o.km)} km)`
}

function won(what: string, req: PlacementRequest, passed: string[]): string {
  const scope = req.maxKm === undefined ? 'client position unknown: no distance budget, sites by name' : `nearest within maxDistanceKm ${req.maxKm}`
  return `${what}, ${scope}${passed.length ? ` (passed over: ${passed.join('; ')})` : ''}`
}

/** Great-circle distance from a closeness (dot product of unit vectors), km. */
export function closenessKm(c: number): number {
  return 6371 * Math.acos(Math.max(-1, Math.min(1, c)))
}

/** The closeness of a point at `km`: sites with a higher closeness are nearer. */
export function kmCloseness(km: number): number {
  return Math.cos(Math.min(Math.PI, km / 6371))
}
