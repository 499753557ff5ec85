// Shared by the fleet benches (bench/scale, bench/rollout, bench/sessions --hollow): a real
// `edgeplane server` process (SQLite) started from source, what /proc says about a process, a
// list-then-watch of one kind over the API, and small timing helpers.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { HttpClient } from '../../src/lib/http-client.js'
import { fileLimit } from '../../src/sim/limits.js'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const V1 = '/apis/edgeplane.io/v1'

// ---------- the server process ----------

export interface ServerProcOptions {
  dataDir: string
  listen: string
  /** Links the server must be able to hold: its open-file limit is raised above this. */
  links: number
  /** Extra `edgeplane server` flags. */
  args?: string[]
  /** Run under node --cpu-prof, writing the profile here (on SIGINT, see stopServer). */
  cpuProfDir?: string
  logLevel?: string
  /** Run the compiled server (dist/, as deployed: `npm run build` first) instead of the source through tsx. */
  compiled?: boolean
}

export interface ServerProc { url: string; proc: ChildProcess; stderr: () => string }

/**
 * Starts `edgeplane server` (from source through tsx, or compiled) and resolves once it listens.
 * BENCH_SERVER_LOG=FILE appends the server's log (JSON lines on stdout) and its stderr to FILE;
 * BENCH_SERVER_LOG_LEVEL sets its log level (default error). BENCH_SERVER_NODE_ARGS adds node flags
 * (e.g. "--trace-gc", which NODE_OPTIONS does not take).
 */
export function startServerProc(o: ServerProcOptions): Promise<ServerProc> {
  const nodeFlags = [...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []), ...(process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [])]
  const entry = o.compiled ? [join(ROOT, 'dist/cli/run.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/run.ts')]
  const args = [...nodeFlags, ...entry, 'server', '--data-dir', o.dataDir, '--listen', o.listen, '--no-dns', ...(o.args ?? [])]
  // prlimit sets the open-file limit and execs node (same pid), so the server may hold every link.
  const needed = o.links + 4096
  const lim = fileLimit()
  const [cmd, cmdArgs] = lim && lim.soft >= needed ? [process.execPath, args] : ['prlimit', [`--nofile=${Math.max(needed, 65536)}`, process.execPath, ...args]]
  const logFile = process.env.BENCH_SERVER_LOG
  const proc = spawn(cmd, cmdArgs, { cwd: ROOT, stdio: ['ignore', logFile ? 'pipe' : 'ignore', 'pipe'], env: { UV_THREADPOOL_SIZE: '16', ...process.env, EDGEPLANE_LOG_LEVEL: o.logLevel ?? process.env.BENCH_SERVER_LOG_LEVEL ?? 'error' } })
  let stderr = ''
  if (logFile) proc.stdout!.on('data', (d) => appendFileSync(logFile, d))
  return new Promise((res, rej) => {
    proc.stderr!.on('data', (d) => {
      if (logFile) appendFileSync(logFile, d)
      stderr = (stderr + d).slice(-20_000)
      const m = /listening on (https:\S+)/.exec(stderr)
      if (m) res({ url: m[1], proc, stderr: () => stderr })
    })
    proc.once('exit', (c, sig) => rej(new Error(`server exited ${c ?? sig}: ${stderr}`)))
  })
}

/** Stops the server: SIGINT first when it must write a CPU profile, else SIGKILL. */
export async function stopServer(proc: ChildProcess | undefined, graceful: boolean): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  proc.kill(graceful ? 'SIGINT' : 'SIGKILL')
  await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(15_000)])
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
}

/** An admin API client of the server whose data dir is `dataDir`. */
export function adminClient(url: string, dataDir: string, timeoutMs = 120_000): { http: HttpClient; token: string; ca: string } {
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()
  const ca = readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8')
  return { http: new HttpClient({ baseUrl: url, token, ca, timeoutMs }), token, ca }
}

// ---------- /proc ----------

const TICK_MS = 1000 / 100 // USER_HZ

export interface ProcSample { at: number; cpuMs: number; rss: number; hwm: number }

export function sample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024
  return { at: performance.now(), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

export const cpuPct = (a: ProcSample, b: ProcSample) => (100 * (b.cpuMs - a.cpuMs)) / (b.at - a.at)
export const MiB = (n: number) => Math.round(n / 1024 / 1024)
export const load = () => loadavg().map((l) => l.toFixed(2)).join(' ')
export const secs = (ms: number) => +(ms / 1000).toFixed(2)
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// ---------- watching the server like a client would ----------

/** List-then-watch of one kind over the API, re-established after a server restart. */
export class KindWatch<T> {
  readonly items = new Map<string, T>()
  private abort = new AbortController()
  private stopped = false
  private paused: { resume: () => void; resumed: Promise<void> } | undefined
  onChange: (name: string, prev: T | undefined, next: T | undefined) => void = () => undefined

  constructor(private http: HttpClient, private path: string, private view: (o: any) => T) {}

  start(): void { void this.loop() }

  private async loop(): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?'
    while (!this.stopped) {
      if (this.paused) { await this.paused.resumed; continue }
      try {
        const stream = await this.http.stream(`${this.path}${sep}watch=true`, this.abort.signal)
        // A new stream starts with every current object (ADDED): forget the old view.
        this.items.clear()
        let buf = ''
        for await (const chunk of stream) {
          buf += chunk
          let i: number
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i)
            buf = buf.slice(i + 1)
            if (!line.trim()) continue
            const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string } } }
            const name = ev.object.metadata.name
            const prev = this.items.get(name)
            const next = ev.type === 'DELETED' ? undefined : this.view(ev.object)
            if (next === undefined) this.items.delete(name)
            else this.items.set(name, next)
            this.onChange(name, prev, next)
          }
        }
      } catch { /* server gone, or paused: retry */ }
      if (!this.stopped && !this.paused) await sleep(200)
    }
  }

  /**
   * Closes the watch until resume() (which lists again): the server then spends nothing on this
   * watcher, as while a phase measures a path the watch is not part of (e.g. the acks of a change
   * to every site, where streaming every Instance event to the bench cost the server ~0.14 s).
   */
  pause(): void {
    if (this.paused || this.stopped) return
    let resume!: () => void
    const resumed = new Promise<void>((r) => { resume = r })
    this.paused = { resume, resumed }
    this.abort.abort()
    this.abort = new AbortController()
  }

  resume(): void {
    const p = this.paused
    this.paused = undefined
    p?.resume()
  }

  stop(): void { this.stopped = true; this.abort.abort(); this.resume() }
}

// ---------- timing ----------

const waits = { verbose: false, progress: (): string => '' }

/** With verbose on, until() prints what it waits for every 5 s, with progress() (e.g. the fleet's summary). */
export function configureWaits(o: { verbose?: boolean; progress?: () => string }): void { Object.assign(waits, o) }

/** Resolves with performance.now() once fn() holds (polled every pollMs); throws after timeoutMs. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 50, detail?: () => unknown): Promise<number> {
  const end = performance.now() + timeoutMs
  let said = performance.now()
  for (;;) {
    if (await fn()) return performance.now()
    if (waits.verbose && performance.now() - said > 5000) {
      said = performance.now()
      console.error(`  … waiting for ${what}: ${waits.progress()}; load ${load()}${detail ? ` ${JSON.stringify(detail())}` : ''}`)
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `: ${JSON.stringify(detail())}` : ''}`)
    await sleep(pollMs)
  }
}

export function pct(values: number[], p: number): number {
  if (!values.length) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

/** Time until fraction f of n events happened (NaN when fewer happened). */
export function timeToFraction(times: number[], n: number, f: number): number {
  const s = [...times].sort((a, b) => a - b)
  const k = Math.ceil(f * n)
  return k <= s.length ? s[k - 1] : NaN
}

/** Prints rows as an aligned table. */
export function printTable(header: string[], rows: string[][]): void {
  const w = header.map((_, i) => Math.max(...[header, ...rows].map((x) => (x[i] ?? '').length), 6))
  const line = (x: string[]) => x.map((c, i) => (c ?? '').padEnd(w[i])).join(' | ')
  console.log('')
  console.log(line(header))
  console.log(w.map((n) => '-'.repeat(n)).join('-|-'))
  for (const x of rows) console.log(line(x))
  console.log('')
}
