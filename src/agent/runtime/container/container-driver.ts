// Runs an instance as an OCI container through podman. conmon, not the agent, is the container's
// parent, so containers outlive the agent (edge autonomy); the handle is conmon's pid and start
// time plus the container id, and every container carries the instance uid as a label, so a
// restarted agent re-adopts it without a restart. Output goes straight to the instance log file
// (podman's passthrough log driver), as for a process.
import { execFile, spawn } from 'node:child_process'
import { closeSync, fstatSync, mkdirSync, openSync, readSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { systemClock, type Clock } from '../../../lib/clock.js'
import { StartFailure, type ExitInfo, type InstanceHandle, type RuntimeDriver, type StartSpec } from '../driver.js'
import { isZombie, readProcStat } from '../proc-stat.js'
import { ImageStore, type PullOptions } from './images.js'
import { Podman, podmanError } from './podman.js'
import { containerEnv, containerName, envFileText, LABEL_INSTANCE, runArgs } from './run-args.js'

export interface ContainerDriverOptions {
  podman?: Podman
  images?: ImageStore
  clock?: Clock
  /** The node name, put on every container as a label. */
  node?: string
  /** How often a running container's conmon is checked for its end. */
  exitPollMs?: number
  /** Where images are pulled from (a site's cache), asked at each pull. */
  pullOptions?: () => PullOptions
}

interface Inspected {
  Id: string
  State: { Status: string; Running: boolean; ExitCode: number; OOMKilled: boolean; Pid: number; ConmonPid: number; StartedAt: string; Error?: string }
  HostConfig?: { Memory?: number }
}

export class ContainerDriver implements RuntimeDriver {
  readonly name = 'container'
  readonly podman: Podman
  readonly images: ImageStore
  private readonly clock: Clock
  private readonly exitPollMs: number

  constructor(private readonly o: ContainerDriverOptions = {}) {
    this.podman = o.podman ?? new Podman()
    this.images = o.images ?? new ImageStore(this.podman)
    this.clock = o.clock ?? systemClock
    this.exitPollMs = o.exitPollMs ?? 500
  }

  async start(spec: StartSpec): Promise<InstanceHandle> {
    const t = spec.template
    const uid = spec.uid ?? spec.id
    if (!t.image) throw new StartFailure('InvalidImageName', 'a container template needs an image')
    const name = containerName(uid)
    // A container of this instance left by an earlier agent (it died before persisting the handle).
    const found = await this.byLabel(uid)
    if (found?.State.Running) return this.handleOf(spec, found)
    if (found) await this.podman.run(['rm', '--force', '--ignore', found.Id])

    const image = await this.ensureImage(t.image)
    const env = containerEnv(t, spec.env, spec.ports ?? {})
    const { text, rejected } = envFileText(env)
    if (rejected.length) throw new StartFailure('InvalidEnv', `environment variables with a newline or an invalid name cannot be passed to a container: ${rejected.join(', ')}`)
    mkdirSync(dirname(spec.logFile), { recursive: true })
    const envFile = `${spec.logFile}.env`
    writeFileSync(envFile, text, { mode: 0o600 })
    let fd: number
    try {
      fd = openSync(spec.logFile, 'a')
    } catch (err) {
      unlinkQuietly(envFile)
      throw new Error(`cannot open log file ${spec.logFile}: ${(err as Error).message}`)
    }
    const from = fstatSync(fd).size
    let code: number
    try {
      const args = runArgs({ name, uid, id: spec.id, node: this.o.node, template: t, image, host: spec.host ?? '127.0.0.1', ports: spec.ports ?? {}, envFile, runtimeArgs: this.podman.runtimeArgs() })
      code = await exitCodeOf(this.podman.bin, args, fd)
    } finally {
      closeSync(fd)
      unlinkQuietly(envFile) // the values may be secrets; podman has read them
    }
    if (code !== 0) {
      // podman shares the log file with the container, so its error is what it appended.
      const said = readFrom(spec.logFile, from)
      await this.podman.run(['rm', '--force', '--ignore', name])
      const msg = lastError(said) ?? `podman run exited with code ${code}`
      throw new StartFailure(/not found in \$PATH|no such file or directory|permission denied/i.test(msg) ? 'ContainerCannotRun' : 'StartError', `cannot start container from ${t.image}: ${msg}`)
    }
    const ins = await this.inspect(name)
    if (!ins) throw new StartFailure('StartError', `container ${name} vanished right after it started`)
    return this.handleOf(spec, ins)
  }

  isAlive(h: InstanceHandle): boolean {
    if (!h.pid) return false
    const st = readProcStat(h.pid)
    return !!st && st.startTime === h.startTime && !isZombie(st)
  }

  onExit(h: InstanceHandle, cb: (info: ExitInfo) => void): () => void {
    let done = false
    let timer: { cancel(): void } | undefined
    const check = (): void => {
      if (done) return
      if (this.isAlive(h)) { timer = this.clock.setTimeout(check, this.exitPollMs); return }
      void this.exitOf(h).then((info) => {
        if (done) return
        done = true
        cb(info)
      })
    }
    check()
    return () => { done = true; timer?.cancel() }
  }

  async stop(h: InstanceHandle, graceMs: number): Promise<void> {
    const keepAlive = setInterval(() => {}, 1 << 30)
    try {
      const id = h.container ?? containerName(h.id)
      const secs = Math.max(0, Math.ceil(graceMs / 1000))
      const r = await this.podman.run(['stop', '--ignore', '--time', String(secs), id], { timeoutMs: graceMs + 60_000 })
      if (r.code !== 0 && !/no such container/i.test(r.stderr)) throw new Error(`podman stop ${id}: ${podmanError(r)}`)
      const rm = await this.podman.run(['rm', '--force', '--ignore', id], { timeoutMs: 60_000 })
      if (rm.code !== 0) throw new Error(`podman rm ${id}: ${podmanError(rm)}`)
    } finally {
      clearInterval(keepAlive)
    }
  }

  /** The image's local id, pulled when missing. */
  private async ensureImage(ref: string): Promise<string> {
    const have = await this.images.present(ref)
    if (have) return have.id
    const r = await this.images.pull(ref, this.o.pullOptions?.() ?? {})
    if (!r.ok) throw new StartFailure(r.reason === 'PullFailed' || r.reason === 'RegistryUnavailable' ? 'ErrImagePull' : r.reason, r.message)
    return r.id
  }

  private async exitOf(h: InstanceHandle): Promise<ExitInfo> {
    const ins = h.container ? await this.inspect(h.container) : undefined
    if (!ins) return { code: null, signal: null }
    const code = ins.State.ExitCode
    const limit = ins.HostConfig?.Memory ?? 0
    // conmon's own OOM report does not work on this kind of cgroup v1 host; the kernel log does.
    const oom = ins.State.OOMKilled || (code === 137 && limit > 0 && await kernelOomKilled(ins.Id))
    if (oom) return { code, signal: null, reason: 'OOMKilled', message: `killed: out of memory (limit ${Math.round(limit / 1048576)}Mi)` }
    return { code, signal: null }
  }

  private handleOf(spec: StartSpec, ins: Inspected): InstanceHandle {
    const conmon = ins.State.ConmonPid
    const st = conmon ? readProcStat(conmon) : undefined
    return {
      id: spec.id,
      pid: st ? conmon : 0,
      startTime: st?.startTime ?? 0,
      startedAt: ins.State.StartedAt && !ins.State.StartedAt.startsWith('0001') ? new Date(ins.State.StartedAt).toISOString() : new Date(this.clock.now()).toISOString(),
      logFile: spec.logFile,
      container: ins.Id,
      ...(ins.State.Pid ? { workloadPid: ins.State.Pid } : {}),
    }
  }

  async inspect(idOrName: string): Promise<Inspected | undefined> {
    const r = await this.podman.run(['container', 'inspect', '--format', 'json', idOrName])
    if (r.code !== 0) return undefined
    try { return (JSON.parse(r.stdout) as Inspected[])[0] } catch { return undefined }
  }

  /** The container labelled with this instance uid, if any. */
  async byLabel(uid: string): Promise<Inspected | undefined> {
    const r = await this.podman.run(['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${LABEL_INSTANCE}=${uid}`])
    const id = r.code === 0 ? r.stdout.trim().split('\n')[0] : ''
    return id ? this.inspect(id) : undefined
  }
}

/** Runs podman with its stdout and stderr on fd (passthrough hands them to the container). */
function exitCodeOf(bin: string, args: string[], fd: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd] })
    child.once('error', () => resolve(127))
    child.once('exit', (code) => resolve(code ?? 1))
  })
}

function readFrom(path: string, offset: number): string {
  try {
    const fd = openSync(path, 'r')
    try {
      const buf = Buffer.alloc(16384)
      const n = readSync(fd, buf, 0, buf.length, offset)
      return buf.subarray(0, n).toString('utf8')
    } finally {
      closeSync(fd)
    }
  } catch {
    return ''
  }
}

function lastError(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  const e = [...lines].reverse().find((l) => l.startsWith('Error:')) ?? lines[lines.length - 1]
  return e?.replace(/^Error:\s*/, '').slice(0, 1000)
}

/** Whether the kernel log has an OOM kill in this container's memory cgroup. */
function kernelOomKilled(id: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('dmesg', [], { maxBuffer: 32 << 20, timeout: 10_000 }, (err, out) => {
      if (err) return resolve(false)
      resolve(String(out).split('\n').some((l) => l.includes('oom-kill') && l.includes(id)))
    })
  })
}

function unlinkQuietly(path: string): void {
  try { unlinkSync(path) } catch { /* gone already */ }
}
