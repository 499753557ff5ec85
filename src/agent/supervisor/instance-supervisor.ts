// Keeps ONE instance running on this node: starts or re-adopts its process, restarts it with
// backoff when it exits or fails liveness, and tracks readiness. It never gives up on its own
// (principle 5): only stop() ends it. All timers go through the injected Clock (principle 9).
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Probe } from '../../api/kinds/index.js'
import { StartFailure, type ExitInfo, type InstanceHandle, type RuntimeDriver, type StartSpec } from '../runtime/driver.js'
import { ProbeWorker, type ProbeState } from '../probes/probe-worker.js'
import type { ProbeRunner } from '../probes/probe.js'
import { DEFAULT_RESTART_BACKOFF, restartDelay, type RestartBackoff } from './backoff.js'

export type SupervisorPhase = 'Starting' | 'Running' | 'Failed' | 'Stopped'

export interface SupervisorStatus {
  phase: SupervisorPhase
  ready: boolean
  restarts: number
  pid?: number
  startedAt?: string
  /** Exit code of the last process that ended (null: killed by a signal, or adopted so unknown). */
  exitCode?: number | null
  message?: string
  /** Started, Adopted, StartError, Completed, Error, Killed, Exited, LivenessFailed, Stopped; containers: OOMKilled, ErrImagePull, ImageNotFound, … */
  reason?: string
}

export interface InstanceSupervisorOptions {
  driver: RuntimeDriver
  clock: Clock
  spec: StartSpec
  host: string
  ports: Record<string, number>
  /** A persisted handle: adopted without restarting when its process is still alive. */
  handle?: InstanceHandle
  /** Restarts counted before (persisted by the agent), so the count survives an agent restart. */
  restarts?: number
  restartBackoff?: Partial<RestartBackoff>
  onChange?: (status: SupervisorStatus) => void
  /** Called with every newly started process, before it is reported Running, so it can be persisted. */
  onHandle?: (handle: InstanceHandle) => void
  /** Replaceable for tests; defaults to the real network probe. */
  probeRunner?: ProbeRunner
}

interface Run {
  handle: InstanceHandle
  since: number
  ended: boolean
  cancelExit?: () => void
  probes: ProbeWorker[]
}

interface Ending {
  reason: string
  message: string
  exitCode?: number | null
}

export class InstanceSupervisor {
  private st: SupervisorStatus
  private readonly backoff: RestartBackoff
  private graceMs: number
  private run?: Run
  private restartTimer?: TimerHandle
  private started = false
  private stopRequested = false
  private stopping?: Promise<void>
  /** Consecutive failures, for the backoff. */
  private failures = 0
  /** Stopping what an ended run left behind; the next start waits for it (its port may still be bound). */
  private cleanup: Promise<void> = Promise.resolve()
  private cleanupError?: string
  private launching: Promise<void> = Promise.resolve()

  constructor(private readonly opts: InstanceSupervisorOptions) {
    this.backoff = { ...DEFAULT_RESTART_BACKOFF, ...opts.restartBackoff }
    this.graceMs = (opts.spec.template.stopGracePeriodSeconds ?? 10) * 1000
    this.st = { phase: 'Starting', ready: false, restarts: opts.restarts ?? 0 }
  }

  status(): SupervisorStatus {
    return { ...this.st }
  }

  /** The handle of the process running now, if any. */
  handle(): InstanceHandle | undefined {
    return this.run?.handle
  }

  start(): void {
    if (this.started || this.stopRequested) return
    this.started = true
    const h = this.opts.handle
    if (h && this.opts.driver.isAlive(h)) {
      this.attach(h, 'Adopted', Date.parse(h.startedAt))
      return
    }
    if (h) {
      // It ended while the agent was away: clear stragglers of its process group, then start afresh.
      this.cleanup = this.stopQuietly(h)
      this.set({ restarts: this.st.restarts + 1 })
      this.launch(`previous process ${h.pid} was gone; starting a new one`)
      return
    }
    this.launch()
  }

  /** Stops the instance for good: no restart afterwards. Safe to call more than once. */
  stop(graceMs: number = this.graceMs): Promise<void> {
    this.stopping ??= this.doStop(graceMs)
    return this.stopping
  }

  private async doStop(graceMs: number): Promise<void> {
    this.stopRequested = true
    this.graceMs = graceMs // a start in flight stops its new process with this grace too
    this.restartTimer?.cancel()
    const run = this.run
    this.run = undefined
    let error: Error | undefined
    if (run) {
      this.endRun(run)
      try {
        await this.opts.driver.stop(run.handle, graceMs)
      } catch (err) {
        error = err as Error
      }
    }
    await this.launching
    await this.cleanup
    this.set({ phase: 'Stopped', ready: false, pid: undefined, startedAt: undefined, reason: 'Stopped', message: error ? `stop failed: ${error.message}` : undefined })
    if (error) throw error
  }

  private launch(message?: string): void {
    this.launching = this.startProcess(message).catch((err: Error) => {
      // Only a throwing callback gets here; it must not become an unhandled rejection in the agent.
      if (!this.stopRequested && !this.run) this.failed({ reason: 'StartError', message: err.message })
    })
  }

  private async startProcess(message?: string): Promise<void> {
    this.set({ phase: 'Starting', ready: false, pid: undefined, startedAt: undefined, reason: undefined, message })
    await this.cleanup
    if (this.stopRequested) return
    if (this.cleanupError) {
      this.set({ message: `previous process may linger: ${this.cleanupError}` })
      this.cleanupError = undefined
    }
    let handle: InstanceHandle
    try {
      handle = await this.opts.driver.start(this.opts.spec)
    } catch (err) {
      if (!this.stopRequested) this.failed({ reason: err instanceof StartFailure ? err.reason : 'StartError', message: (err as Error).message })
      return
    }
    if (this.stopRequested) {
      await this.stopQuietly(handle)
      return
    }
    let persistError: string | undefined
    try {
      this.opts.onHandle?.(handle)
    } catch (err) {
      persistError = (err as Error).message // the process runs anyway; say so rather than kill it
    }
    this.attach(handle, 'Started', this.opts.clock.now())
    if (persistError) this.set({ message: `handle not persisted: ${persistError}` })
  }

  private attach(handle: InstanceHandle, reason: string, since: number): void {
    const run: Run = { handle, since: Number.isFinite(since) ? since : this.opts.clock.now(), ended: false, probes: [] }
    this.run = run
    const t = this.opts.spec.template
    this.set({ phase: 'Running', ready: !t.readiness, pid: handle.workloadPid || handle.pid, startedAt: handle.startedAt, reason, message: undefined })
    // Probes before the exit watch: a driver may report an already-dead process synchronously.
    if (t.readiness) {
      run.probes.push(this.probe(t.readiness, (state) => {
        if (!run.ended) this.set({ ready: state === 'success' })
      }))
    }
    if (t.liveness) {
      run.probes.push(this.probe(t.liveness, (state, message) => {
        if (state === 'failure') this.ended(run, { reason: 'LivenessFailed', message: `liveness probe failed: ${message}` })
      }))
    }
    run.cancelExit = this.opts.driver.onExit(handle, (info) => this.ended(run, describeExit(info)))
  }

  private probe(probe: Probe, onChange: (state: ProbeState, message: string) => void): ProbeWorker {
    const w = new ProbeWorker({ probe, host: this.opts.host, ports: this.opts.ports, clock: this.opts.clock, onChange, run: this.opts.probeRunner })
    w.start()
    return w
  }

  private ended(run: Run, ending: Ending): void {
    if (run.ended || this.stopRequested) return
    this.endRun(run)
    if (this.run === run) this.run = undefined
    // Kills a process that failed liveness; after an exit, clears what is left in its process group.
    this.cleanup = this.stopQuietly(run.handle)
    if (this.opts.clock.now() - run.since >= this.backoff.resetAfterMs) this.failures = 0
    this.failed(ending)
  }

  private endRun(run: Run): void {
    run.ended = true
    run.cancelExit?.()
    for (const p of run.probes) p.stop()
  }

  private failed(ending: Ending): void {
    this.failures++
    const delay = restartDelay(this.failures, this.backoff)
    this.set({
      phase: 'Failed',
      ready: false,
      pid: undefined,
      startedAt: undefined,
      reason: ending.reason,
      message: `${ending.message}; restarting in ${formatMs(delay)}`,
      ...('exitCode' in ending ? { exitCode: ending.exitCode } : {}),
    })
    this.restartTimer = this.opts.clock.setTimeout(() => {
      this.restartTimer = undefined
      this.set({ restarts: this.st.restarts + 1 })
      this.launch()
    }, delay)
  }

  private stopQuietly(handle: InstanceHandle): Promise<void> {
    return this.opts.driver.stop(handle, this.graceMs).catch((err: Error) => {
      this.cleanupError = err.message
    })
  }

  private set(patch: Partial<SupervisorStatus>): void {
    const next: SupervisorStatus = { ...this.st, ...patch }
    for (const k of Object.keys(next) as (keyof SupervisorStatus)[]) if (next[k] === undefined) delete next[k]
    if (sameStatus(this.st, next)) return
    this.st = next
    this.opts.onChange?.({ ...next })
  }
}

function describeExit(info: ExitInfo): Ending {
  if (info.reason) return { reason: info.reason, message: info.message ?? `exited with code ${info.code}`, exitCode: info.code }
  if (info.code === 0) return { reason: 'Completed', message: 'exited with code 0', exitCode: 0 }
  if (info.code !== null) return { reason: 'Error', message: `exited with code ${info.code}`, exitCode: info.code }
  if (info.signal) return { reason: 'Killed', message: `killed by ${info.signal}`, exitCode: null }
  return { reason: 'Exited', message: 'exited (exit code unknown: started by an earlier agent)', exitCode: null }
}

function sameStatus(a: SupervisorStatus, b: SupervisorStatus): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof SupervisorStatus>
  for (const k of keys) if (a[k] !== b[k]) return false
  return true
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`
}
