// The startup ramp of a readiness probe: until an instance's first success, probes come soon after
// each other (50 ms, then doubling: 50, 100, 200, 400 ms… capped at the period), as a Kubernetes
// startup probe would, so a process that listens 200 ms after start is seen ready ~250 ms after,
// not one full period later. After the first success the period holds (steady state).

/** The first gap of the ramp, ms: about the time a small process needs to listen. */
export const RAMP_FIRST_MS = 50

/** The wait before the probe that follows the `n`-th run of the ramp (n = 0 for the first gap). */
export function rampDelayMs(n: number, periodMs: number): number {
  return Math.min(periodMs, RAMP_FIRST_MS * 2 ** Math.min(n, 30))
}

/**
 * When a probe that started at `firstProbeMs` (after its initial delay) first runs at or after
 * `readyAtMs`, following the ramp: the moment an instance listening from `readyAtMs` is seen ready
 * (the hollow simulator's readiness, without a network).
 */
export function rampSeenAt(firstProbeMs: number, readyAtMs: number, periodMs: number): number {
  let t = firstProbeMs
  for (let n = 0; t < readyAtMs; n++) t += rampDelayMs(n, periodMs)
  return t
}
