// A RuntimeDriver without processes, so supervisor logic runs on a ManualClock with no sleeps.
import type { Clock } from '../../src/lib/clock.js'
import type { ExitInfo, InstanceHandle, RuntimeDriver, StartSpec } from '../../src/agent/runtime/driver.js'

export class FakeDriver implements RuntimeDriver {
  readonly name = 'fake'
  readonly starts: StartSpec[] = []
  readonly handles: InstanceHandle[] = []
  readonly stops: { handle: InstanceHandle; graceMs: number }[] = []
  /** Errors the next start() calls throw, in order. */
  readonly startErrors: Error[] = []
  /** When set, start() waits for it before returning (a slow spawn). */
  gate?: Promise<void>
  private readonly alive = new Set<number>()
  private readonly listeners = new Map<number, Set<(info: ExitInfo) => void>>()
  private nextPid = 1000

  constructor(private readonly clock: Clock) {}

  async start(spec: StartSpec): Promise<InstanceHandle> {
    this.starts.push(spec)
    if (this.gate) await this.gate
    const err = this.startErrors.shift()
    if (err) throw err
    const pid = this.nextPid++
    const handle = { id: spec.id, pid, startTime: pid * 7, startedAt: new Date(this.clock.now()).toISOString(), logFile: spec.logFile }
    this.alive.add(pid)
    this.handles.push(handle)
    return handle
  }

  /** Makes a process known (and alive) as if a previous agent had started it. */
  adoptable(handle: InstanceHandle): void {
    this.alive.add(handle.pid)
  }

  isAlive(handle: InstanceHandle): boolean {
    return this.alive.has(handle.pid)
  }

  onExit(handle: InstanceHandle, cb: (info: ExitInfo) => void): () => void {
    const set = this.listeners.get(handle.pid) ?? new Set()
    this.listeners.set(handle.pid, set)
    set.add(cb)
    return () => set.delete(cb)
  }

  async stop(handle: InstanceHandle, graceMs: number): Promise<void> {
    this.stops.push({ handle, graceMs })
    if (this.alive.has(handle.pid)) this.exit(handle.pid, { code: null, signal: 'SIGTERM' })
  }

  /** The process ends on its own. */
  exit(pid: number, info: ExitInfo = { code: 1, signal: null }): void {
    this.alive.delete(pid)
    const set = this.listeners.get(pid)
    this.listeners.delete(pid)
    for (const cb of set ?? []) cb(info)
  }

  last(): InstanceHandle {
    const h = this.handles.at(-1)
    if (!h) throw new Error('nothing started')
    return h
  }

  aliveCount(): number {
    return this.alive.size
  }
}
