// Restart backoff: doubles per consecutive failure, capped, forgotten after a long enough good run.

export interface RestartBackoff {
  initialMs: number
  maxMs: number
  /** A run at least this long resets the backoff to initialMs. */
  resetAfterMs: number
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 }

/** Delay before the restart that follows the n-th consecutive failure (n ≥ 1). */
export function restartDelay(n: number, b: RestartBackoff): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(Math.max(0, n - 1), 30))
}
