// Runs a workload as a real OS process in its own session, so it outlives the agent (principle 5:
// edge autonomy). Output goes straight to the log file, never through the agent: a pipe would break
// when the agent dies. A handle is (pid, start time), so a reused pid is never mistaken or signalled.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { systemClock, type Clock } from '../../lib/clock.js'
import type { ExitInfo, InstanceHandle, RuntimeDriver, StartSpec } from './driver.js'
import { groupMembers, isZombie, readProcStat } from './proc-stat.js'

export interface ProcessDriverOptions {
  clock?: Clock
  /** How often an adopted process (not our child, so no exit event) is checked. */
  exitPollMs?: number
  /** How often stop() checks whether the process group is gone. */
  stopPollMs?: number
  /** How long stop() waits after SIGKILL before giving up (a process stuck in the kernel). */
  killWaitMs?: number
}

interface ChildRecord {
  child: ChildProcess
  exit?: ExitInfo
  listeners: Set<(info: ExitInfo) => void>
}

/** Exited children kept for late onExit subscribers; bounded so a crash loop cannot grow memory. */
const MAX_EXITED_RECORDS = 256

export class ProcessDriver implements RuntimeDriver {
  readonly name = 'process'
  private readonly clock: Clock
  private readonly exitPollMs: number
  private readonly stopPollMs: number
  private readonly killWaitMs: number
  /** Children this driver instance spawned, keyed by pid:startTime: only these have real exit codes. */
  private readonly children = new Map<string, ChildRecord>()

  constructor(opts: ProcessDriverOptions = {}) {
    this.clock = opts.clock ?? systemClock
    this.exitPollMs = opts.exitPollMs ?? 1000
    this.stopPollMs = opts.stopPollMs ?? 50
    this.killWaitMs = opts.killWaitMs ?? 10_000
  }

  async start(spec: StartSpec): Promise<InstanceHandle> {
    const { command, args = [] } = spec.template
    if (!command) throw new Error('a process template needs a command')
    const env = { ...spec.env }
    if (env.PATH === undefined && process.env.PATH !== undefined) env.PATH = process.env.PATH
    // spawn reports a missing cwd as "spawn <command> ENOENT", which blames the command: check first.
    if (!isDirectory(spec.cwd)) throw new Error(`cannot start "${command}": working directory ${spec.cwd} does not exist`)

    let fd: number
    try {
      mkdirSync(dirname(spec.logFile), { recursive: true })
      fd = openSync(spec.logFile, 'a')
    } catch (err) {
      throw new Error(`cannot start "${command}": cannot open log file ${spec.logFile}: ${(err as Error).message}`)
    }
    let child: ChildProcess
    try {
      child = spawn(command, args, { env, cwd: spec.cwd, detached: true, stdio: ['ignore', fd, fd] })
    } catch (err) {
      throw startError(command, err)
    } finally {
      closeSync(fd) // the child holds its own copy
    }
    if (child.pid === undefined) {
      const err = await new Promise<unknown>((resolve) => child.once('error', resolve))
      throw startError(command, err)
    }
    child.on('error', () => {}) // later errors (a failed kill) must not crash the agent
    // The child cannot have been reaped yet (that happens on a later event-loop turn), so its stat is there.
    const stat = readProcStat(child.pid)
    if (!stat) throw new Error(`cannot start "${command}": process ${child.pid} vanished before it could be identified`)

    const handle: InstanceHandle = {
      id: spec.id,
      pid: child.pid,
      startTime: stat.startTime,
      startedAt: new Date(this.clock.now()).toISOString(),
      logFile: spec.logFile,
    }
    const rec: ChildRecord = { child, listeners: new Set() }
    this.children.set(key(handle), rec)
    child.once('exit', (code, signal) => {
      rec.exit = { code, signal }
      for (const l of [...rec.listeners]) l(rec.exit)
      rec.listeners.clear()
      this.pruneExited()
    })
    child.unref() // the agent may exit while the workload keeps running
    return handle
  }

  isAlive(handle: InstanceHandle): boolean {
    const st = readProcStat(handle.pid)
    return !!st && st.startTime === handle.startTime && !isZombie(st)
  }

  onExit(handle: InstanceHandle, cb: (info: ExitInfo) => void): () => void {
    let done = false
    let timer: { cancel(): void } | undefined
    const fire = (info: ExitInfo): void => {
      if (done) return
      done = true
      cb(info)
    }
    const rec = this.children.get(key(handle))
    if (rec) {
      if (rec.exit) {
        const info = rec.exit
        queueMicrotask(() => fire(info))
        return () => { done = true }
      }
      rec.listeners.add(fire)
      return () => { done = true; rec.listeners.delete(fire) }
    }
    // Adopted from a previous agent: not our child, so no exit event and no exit code. Poll.
    const check = (): void => {
      if (done) return
      if (this.isAlive(handle)) timer = this.clock.setTimeout(check, this.exitPollMs)
      else fire({ code: null, signal: null })
    }
    if (this.isAlive(handle)) timer = this.clock.setTimeout(check, this.exitPollMs)
    else queueMicrotask(() => fire({ code: null, signal: null }))
    return () => { done = true; timer?.cancel() }
  }

  async stop(handle: InstanceHandle, graceMs: number): Promise<void> {
    // systemClock timers are unref'd; a stop in flight must still finish even if nothing else runs.
    const keepAlive = setInterval(() => {}, 1 << 30)
    try {
      if (!this.groupAlive(handle)) return
      this.signalGroup(handle, 'SIGTERM')
      const termAt = this.clock.now()
      let killAt: number | undefined
      if (graceMs <= 0) {
        this.signalGroup(handle, 'SIGKILL')
        killAt = termAt
      }
      for (;;) {
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.stopPollMs))
        if (!this.groupAlive(handle)) return
        const now = this.clock.now()
        if (killAt === undefined && now - termAt >= graceMs) {
          this.signalGroup(handle, 'SIGKILL')
          killAt = now
        } else if (killAt !== undefined && now - killAt > this.killWaitMs) {
          throw new Error(`process group ${handle.pid} of ${handle.id} is still there ${this.killWaitMs} ms after SIGKILL`)
        }
      }
    } finally {
      clearInterval(keepAlive)
      const rec = this.children.get(key(handle))
      if (rec?.exit) this.children.delete(key(handle))
    }
  }

  /**
   * Whether anything of the handle's process group still runs. The group id is the leader's pid,
   * and the kernel keeps a pid reserved while it names a group, so: leader present with another
   * start time → the pid was reused and our group is empty; leader gone → members still carrying
   * the pgid are stragglers of ours (they cannot predate the leader).
   */
  private groupAlive(h: InstanceHandle): boolean {
    const leader = readProcStat(h.pid)
    if (leader) {
      if (leader.startTime !== h.startTime) return false
      if (!isZombie(leader)) return true
    }
    const members = groupMembers(h.pid)
    return members.length > 0 && members.every((m) => m.startTime >= h.startTime)
  }

  private signalGroup(h: InstanceHandle, signal: NodeJS.Signals): void {
    if (!this.groupAlive(h)) return // re-checked right before: never signal a group that is not ours
    try {
      process.kill(-h.pid, signal)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  private pruneExited(): void {
    const exited = [...this.children].filter(([, r]) => r.exit)
    for (const [k] of exited.slice(0, Math.max(0, exited.length - MAX_EXITED_RECORDS))) this.children.delete(k)
  }
}

function key(h: InstanceHandle): string {
  return `${h.pid}:${h.startTime}`
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function startError(command: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code
  const why = code === 'ENOENT' ? 'command not found (ENOENT)'
    : code === 'EACCES' ? 'permission denied, is it executable? (EACCES)'
    : (err as Error)?.message ?? String(err)
  const e = new Error(`cannot start "${command}": ${why}`) as NodeJS.ErrnoException
  if (code) e.code = code
  return e
}
