// The site-local pull-through cache: the real `docker-registry` (CNCF distribution) run by the agent
// as a managed child process, proxying its parent (the central registry, or a central site's cache).
// Its config and storage live in the agent's data dir; the parent it was last given is kept on disk,
// so the cache comes back (and keeps serving the site) after an agent restart with the server away.
// It is restarted with backoff when it dies. A cache left running by an agent killed with -9 is
// stopped and started afresh (its storage is kept: nothing is fetched again).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, closeSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import { writeFileAtomic } from '../../lib/fs.js'
import type { RegistryCacheState } from '../../api/link.js'
import { restartDelay, type RestartBackoff } from '../supervisor/backoff.js'

export interface RegistryCacheOptions {
  /** host:port to serve on (the node's address). */
  listen: string
  /** The agent's data dir: config, storage, log and pid live under registry-cache/. */
  dataDir: string
  clock: Clock
  log: Logger
  /** The registry binary (default docker-registry, from PATH). */
  binary?: string
  backoff?: RestartBackoff
  /** Called whenever the state changes (healthy, address, message). */
  onState?: (s: RegistryCacheState) => void
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 }
/** How long a started registry has to answer GET /v2/ before it counts as unhealthy. */
const READY_WITHIN_MS = 15_000
const MAX_LOG_BYTES = 10 * 1024 * 1024

export function renderRegistryConfig(o: { listen: string; storage: string; parent: string }): string {
  // JSON is YAML: no quoting rules to get wrong for paths and URLs.
  return JSON.stringify({
    version: 0.1,
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: { filesystem: { rootdirectory: o.storage }, cache: { blobdescriptor: 'inmemory' }, delete: { enabled: true } },
    http: { addr: o.listen },
    proxy: { remoteurl: o.parent },
  }, null, 2)
}

export class RegistryCache {
  private dir: string
  private child: ChildProcess | undefined
  private parent: string | undefined
  private failures = 0
  private startedAt = 0
  private timer: TimerHandle | undefined
  private stopped = false
  private current: RegistryCacheState

  constructor(private o: RegistryCacheOptions) {
    this.dir = join(o.dataDir, 'registry-cache')
    mkdirSync(join(this.dir, 'storage'), { recursive: true })
    const saved = join(this.dir, 'parent')
    if (existsSync(saved)) this.parent = readFileSync(saved, 'utf8').trim() || undefined
    this.current = { address: o.listen, healthy: false, message: this.parent ? 'starting' : 'waiting for the server to name its parent' }
  }

  get state(): RegistryCacheState { return this.current }
  get parentUrl(): string | undefined { return this.parent }

  /** Starts with the parent kept on disk, if any (else it waits for setParent). */
  start(): void {
    this.killStale()
    if (this.parent) this.spawn()
  }

  /** The parent to proxy, as the server says: a change rewrites the config and restarts the registry. */
  setParent(url: string): void {
    if (url === this.parent || this.stopped) return
    this.parent = url
    writeFileAtomic(join(this.dir, 'parent'), `${url}\n`)
    this.o.log.info({ parent: url }, 'registry cache parent set')
    this.failures = 0
    this.timer?.cancel()
    if (this.child) this.child.kill('SIGTERM') // its exit handler starts the new one
    else this.spawn()
  }

  private setState(s: Omit<RegistryCacheState, 'address'>): void {
    const next: RegistryCacheState = { address: this.o.listen, ...s }
    if (next.healthy === this.current.healthy && next.message === this.current.message) return
    this.current = next
    this.o.onState?.(next)
  }

  private spawn(): void {
    if (this.stopped || !this.parent) return
    const config = join(this.dir, 'config.yml')
    writeFileAtomic(config, renderRegistryConfig({ listen: this.o.listen, storage: join(this.dir, 'storage'), parent: this.parent }))
    const logPath = join(this.dir, 'registry.log')
    if (existsSync(logPath) && statSync(logPath).size > MAX_LOG_BYTES) truncateSync(logPath, 0)
    const out = openSync(logPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(this.o.binary ?? 'docker-registry', ['serve', config], { stdio: ['ignore', out, out] })
    } finally {
      closeSync(out)
    }
    this.child = child
    this.startedAt = this.o.clock.now()
    if (child.pid) writeFileAtomic(join(this.dir, 'pid'), `${child.pid}\n`)
    const parent = this.parent
    child.on('error', (err) => this.setState({ healthy: false, message: `cannot run ${this.o.binary ?? 'docker-registry'}: ${err.message}` }))
    child.on('exit', (code, signal) => {
      if (this.child !== child) return
      this.child = undefined
      if (this.stopped) return
      if (parent !== this.parent) { this.spawn(); return } // restarted for a new parent
      if (this.o.clock.now() - this.startedAt >= (this.o.backoff ?? DEFAULT_BACKOFF).resetAfterMs) this.failures = 0
      const delay = restartDelay(++this.failures, this.o.backoff ?? DEFAULT_BACKOFF)
      const why = `exited (${signal ?? `code ${code}`}): ${lastLine(logPath)}`.slice(0, 1000)
      this.o.log.warn({ why, restartInMs: delay }, 'registry cache died; restarting')
      this.setState({ healthy: false, message: `${why}; restarting in ${Math.round(delay / 1000)}s` })
      this.timer = this.o.clock.setTimeout(() => this.spawn(), delay)
    })
    void this.waitReady(child)
  }

  /** Healthy once it answers GET /v2/ (the registry API's version check). */
  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = this.o.clock.now() + READY_WITHIN_MS
    while (this.child === child && !this.stopped) {
      try {
        const res = await fetch(`http://${this.o.listen}/v2/`, { signal: AbortSignal.timeout(2000) })
        await res.arrayBuffer()
        if (res.ok) { this.setState({ healthy: true, message: undefined }); return }
      } catch { /* not listening yet */ }
      if (this.o.clock.now() > deadline) {
        this.setState({ healthy: false, message: `does not answer on ${this.o.listen} within ${READY_WITHIN_MS / 1000}s: ${lastLine(join(this.dir, 'registry.log'))}` })
        return
      }
      await new Promise<void>((r) => setTimeout(r, 100))
    }
  }

  /** A registry left by an agent killed with -9 still holds the port: stop it (only if it is ours). */
  private killStale(): void {
    const pidFile = join(this.dir, 'pid')
    if (!existsSync(pidFile)) return
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes(join(this.dir, 'config.yml'))) process.kill(pid, 'SIGKILL')
    } catch { /* gone */ }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.timer?.cancel()
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => { child.kill('SIGKILL') }, 5000).unref()
    })
  }
}

function lastLine(path: string): string {
  try {
    const text = readFileSync(path, 'utf8')
    const lines = text.trimEnd().split('\n')
    return (lines[lines.length - 1] ?? '').slice(0, 500)
  } catch {
    return ''
  }
}
