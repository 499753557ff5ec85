// Runs one probe on a schedule (through the injected Clock) and reports its thresholded state:
// a single blip neither makes an instance ready nor kills it. With `ramp`, probes follow the
// startup ramp (ramp.ts) until the first success, then every periodSeconds.
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Probe } from '../../api/kinds/index.js'
import { runProbe, type ProbeResult, type ProbeRunner } from './probe.js'
import { rampDelayMs } from './ramp.js'

export type ProbeState = 'unknown' | 'success' | 'failure'

export interface ProbeWorkerOptions {
  probe: Probe
  host: string
  ports: Record<string, number>
  clock: Clock
  onChange: (state: ProbeState, message: string) => void
  /** Replaceable for tests; defaults to the real network probe. */
  run?: ProbeRunner
  /** Probe on the startup ramp until the first success (readiness), not every period from the start. */
  ramp?: boolean
}

export class ProbeWorker {
  private state: ProbeState = 'unknown'
  private successes = 0
  private failures = 0
  private timer?: TimerHandle
  private started = false
  private stopped = false
  private last?: ProbeResult
  /** Runs on the ramp so far; undefined once it is over (first success, or no ramp asked). */
  private rampRuns?: number

  constructor(private readonly opts: ProbeWorkerOptions) {}

  start(): void {
    if (this.started || this.stopped) return
    this.started = true
    if (this.opts.ramp) this.rampRuns = 0
    this.schedule((this.opts.probe.initialDelaySeconds ?? 0) * 1000)
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  get current(): ProbeState {
    return this.state
  }

  get lastResult(): ProbeResult | undefined {
    return this.last
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    // A throwing onChange is the caller's bug; it must not become an unhandled rejection (the schedule goes on).
    this.timer = this.opts.clock.setTimeout(() => void this.tick().catch(() => {}), ms)
  }

  private async tick(): Promise<void> {
    const { probe, host, ports, clock } = this.opts
    const startedAt = clock.now()
    const result = await (this.opts.run ?? runProbe)(probe, host, ports).catch((err: Error) => ({ ok: false, message: err.message }))
    if (this.stopped) return
    try {
      this.record(result)
    } finally {
      // Gap measured from the start of this run; runs never overlap. Kept even if onChange threw.
      const periodMs = (probe.periodSeconds ?? 5) * 1000
      if (this.state === 'success') this.rampRuns = undefined
      const gap = this.rampRuns === undefined ? periodMs : rampDelayMs(this.rampRuns++, periodMs)
      this.schedule(Math.max(0, startedAt + gap - clock.now()))
    }
  }

  private record(result: ProbeResult): void {
    this.last = result
    const { successThreshold = 1, failureThreshold = 3 } = this.opts.probe
    let next = this.state
    if (result.ok) {
      this.successes++
      this.failures = 0
      if (this.successes >= successThreshold) next = 'success'
    } else {
      this.failures++
      this.successes = 0
      if (this.failures >= failureThreshold) next = 'failure'
    }
    if (next !== this.state) {
      this.state = next
      this.opts.onChange(next, result.message)
    }
  }
}
