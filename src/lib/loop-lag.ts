// The event loop's lag, logged when it is large: a server that falls seconds behind (a reconnect
// storm, a very large reconcile) fails deadlines it set itself (hellos, heartbeats), and its log
// should say that it was behind, and by how much, beside those failures.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Logger } from './log.js'

export interface LoopLagOptions {
  /** How often the lag seen since the last check is judged (real time: it measures this process). */
  intervalMs?: number
  /** A warning when the longest delay in the interval reached this. */
  warnMs?: number
}

/** Starts watching; returns stop(). */
export function watchLoopLag(log: Logger, o: LoopLagOptions = {}): () => void {
  const h = monitorEventLoopDelay({ resolution: 10 })
  h.enable()
  const ms = (ns: number) => Math.round(ns / 1e6)
  const timer = setInterval(() => {
    if (ms(h.max) >= (o.warnMs ?? 1000)) {
      log.warn({ maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) }, 'event loop lagging: timers and sockets were served late')
    }
    h.reset()
  }, o.intervalMs ?? 10_000)
  timer.unref()
  return () => { clearInterval(timer); h.disable() }
}
