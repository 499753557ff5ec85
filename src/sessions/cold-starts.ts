// How long a cold start takes, per app and site, learnt from the starts the service sees: from the
// moment a new pool instance appears (the app controller created it) to the moment it is first
// ready (the agent started it and its readiness probe passed), which is what a caller waiting for
// a cold start waits. Kept in memory; a server restart learns again from the prior.

/**
 * The prior, before any start is seen at a site: 1 s. A process start and the readiness ramp take
 * ~0.3 s on these machines (BENCHMARKS.md), a container more; 1 s times COLD_START_MARGIN (1.5)
 * still fits the default 2 s deadline, so without a measurement the nearest site's cold start is
 * tried first, and one measured start corrects it.
 */
export const COLD_START_PRIOR_MS = 1000
/** Weight of the newest start in the moving average (recent starts say most about the next one). */
const ALPHA = 0.3

export class ColdStarts {
  private estimate = new Map<string, number>()
  /** Instances seen starting and not ready yet: key → when first seen. */
  private starting = new Map<string, { pool: string; at: number }>()

  /** The cold start to expect at a pool (`appKey|site`), ms, and whether it was measured. */
  expected(pool: string): { ms: number; measured: boolean } {
    const ms = this.estimate.get(pool)
    return ms === undefined ? { ms: COLD_START_PRIOR_MS, measured: false } : { ms, measured: true }
  }

  /** A new instance of the pool, not ready yet, seen at `now`. */
  started(pool: string, instance: string, now: number): void {
    if (!this.starting.has(instance)) this.starting.set(instance, { pool, at: now })
  }

  /** The instance is ready: its start is one observation. */
  ready(instance: string, now: number): void {
    const s = this.starting.get(instance)
    if (!s) return
    this.starting.delete(instance)
    this.observe(s.pool, now - s.at)
  }

  gone(instance: string): void {
    this.starting.delete(instance)
  }

  observe(pool: string, ms: number): void {
    const prev = this.estimate.get(pool)
    this.estimate.set(pool, prev === undefined ? ms : prev + ALPHA * (ms - prev))
  }
}
