// Real processes on loopback for end-to-end tests: a server, agents, and the CLI, each started
// exactly as a user would (the CLI entry point through tsx), with everything killed afterwards.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Agent, request } from 'undici'
import { createServer as createNetServer } from 'node:net'
import type { TestContext } from 'node:test'

export const ROOT = resolve(import.meta.dirname, '..', '..')
const ENTRY = join(ROOT, 'src', 'cli', 'run.ts')

export interface Proc { proc: ChildProcess; output: () => string; kill: (sig?: NodeJS.Signals) => Promise<void> }

export function startCli(args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT, env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d) => { out += d })
  proc.stderr!.on('data', (d) => { out += d })
  return {
    proc,
    output: () => out,
    kill: (sig = 'SIGKILL') => new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return r()
      proc.once('exit', () => r())
      proc.kill(sig)
    }),
  }
}

/** Runs one CLI command to completion. */
export async function cli(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = '', stderr = ''
  proc.stdout.on('data', (d) => { stdout += d })
  proc.stderr.on('data', (d) => { stderr += d })
  proc.stdin.end(input ?? '')
  const code = await new Promise<number>((r) => proc.on('exit', (c) => r(c ?? 1)))
  return { code, stdout, stderr }
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v as T
    } catch (err) { lastErr = err }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ep-${prefix}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * A test's temp dir and the processes it starts, all gone after the test: `before` first, then the
 * processes (last started first), then the process groups of `pids()` (instances outlive agents),
 * then the directory.
 */
export function testScope(t: TestContext, prefix: string, o: { pids?: () => Iterable<number>; before?: () => void } = {}): { dir: string; procs: Proc[] } {
  const tmp = tempDir(prefix)
  const procs: Proc[] = []
  t.after(async () => {
    o.before?.()
    for (const p of procs.reverse()) await p.kill()
    killTree([...(o.pids?.() ?? [])])
    tmp.remove()
  })
  return { dir: tmp.dir, procs }
}

export interface ServerProc extends Proc {
  url: string
  token: string
  /** PEM of the server's CA (the server runs TLS with its own CA). */
  ca: string
  caFile: string
  /** Environment for CLI commands against this server. */
  env: Record<string, string>
}

/** Starts `edgeplane server` (TLS with its own CA, as by default); `listen` defaults to a free port. */
export async function startServerProc(dataDir: string, extra: string[] = [], listen = '127.0.0.1:0'): Promise<ServerProc> {
  // A free DNS port unless the test picks one (several servers run at once).
  const dns = extra.includes('--dns-listen') || extra.includes('--no-dns') ? [] : ['--dns-listen', '127.0.0.1:0']
  const p = startCli(['server', '--data-dir', dataDir, '--listen', listen, ...dns, ...extra])
  const url = await waitUntil('the server to listen', () => /listening on (https?:\S+)/.exec(p.output())?.[1] ?? (p.proc.exitCode !== null ? Promise.reject(new Error(p.output())) : undefined))
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()
  const caFile = join(dataDir, 'pki', 'ca.crt')
  const ca = url.startsWith('https:') ? readFileSync(caFile, 'utf8') : ''
  cas.set(url, ca)
  return { ...p, url, token, ca, caFile, env: { EDGEPLANE_SERVER: url, EDGEPLANE_TOKEN: token, EDGEPLANE_CA_FILE: caFile } }
}

const cas = new Map<string, string>()
const dispatchers = new Map<string, Agent>()

/** One API call, verifying the server against its CA. */
export async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const ca = cas.get(url)
  let dispatcher = dispatchers.get(url)
  if (ca && !dispatcher) dispatchers.set(url, (dispatcher = new Agent({ connect: { ca } })))
  const res = await request(url + path, {
    method: method as 'GET', dispatcher,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': typeof body === 'string' ? 'application/apply-patch+yaml' : 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.body.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* text */ }
  return { status: res.statusCode, body: parsed }
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

export function killTree(pids: number[]): void {
  for (const pid of pids) { try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ } }
}

/** Alive and not a zombie: an instance whose agent died is reaped by init, sometimes seconds after it exits. */
export function pidRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0)
    return state !== 'Z' && state !== 'X'
  } catch { return false }
}

/** Running instance processes of these nodes, found by the EDGEPLANE_NODE/EDGEPLANE_INSTANCE env their agent gave them. */
export function instanceProcesses(nodes: string[]): { pid: number; node: string; instance: string }[] {
  const out: { pid: number; node: string; instance: string }[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let env: string
    try { env = readFileSync(`/proc/${entry}/environ`, 'utf8') } catch { continue }
    const vars = new Map(env.split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    const node = vars.get('EDGEPLANE_NODE'), instance = vars.get('EDGEPLANE_INSTANCE')
    if (node && instance && nodes.includes(node) && pidRunning(Number(entry))) out.push({ pid: Number(entry), node, instance })
  }
  return out.sort((a, b) => a.pid - b.pid)
}

/** Starts `edgeplane agent` as an operator would; the join token is needed only the first time. */
export function startAgentProc(serverUrl: string, a: { site: string; name: string; address: string; dataDir: string; labels?: Record<string, string> }, joinToken?: string, extra: string[] = []): Proc {
  return startCli(['agent', '--server', serverUrl, ...(joinToken ? ['--join-token', joinToken] : []), '--site', a.site, '--region', 'eu-west',
    '--provider', 'self', '--address', a.address, '--name', a.name, '--data-dir', a.dataDir,
    ...Object.entries(a.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]), ...extra])
}

/**
 * Hits instance endpoints over plain HTTP in a loop (until stop) and records every failure and
 * every pid that answered, so a test can assert "answered throughout, always by the same process".
 */
export class Prober {
  completedRounds = 0
  readonly failures: string[] = []
  readonly pids = new Map<string, Set<number>>()
  private stopped = false
  private readonly done: Promise<void>

  constructor(private readonly targets: { name: string; endpoint: string }[], private readonly intervalMs = 100) {
    for (const t of targets) this.pids.set(t.name, new Set())
    this.done = this.loop()
  }

  private async loop(): Promise<void> {
    // Until stop(): pair every Prober with t.after(() => prober.stop()), or a failed test never exits.
    while (!this.stopped) {
      for (const t of this.targets) {
        try {
          const res = await fetch(`http://${t.endpoint}/`, { signal: AbortSignal.timeout(10_000) })
          const body = await res.json() as { pid: number; instance: string }
          if (res.status !== 200 || body.instance !== t.name) this.failures.push(`${new Date().toISOString()} ${t.name}: HTTP ${res.status} from ${body.instance}`)
          else this.pids.get(t.name)!.add(body.pid)
        } catch (err) {
          this.failures.push(`${new Date().toISOString()} ${t.name}: ${(err as Error).message}`)
        }
      }
      this.completedRounds++
      await new Promise((r) => setTimeout(r, this.intervalMs))
    }
  }

  /** Waits until n more full rounds over every target have been made. */
  async rounds(n: number, timeoutMs = 60_000): Promise<void> {
    const target = this.completedRounds + n
    await waitUntil(`${n} probe rounds`, () => this.completedRounds >= target || undefined, timeoutMs)
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.done
  }
}

/** Waits until `count` nodes are Ready (as the server sees them). */
export async function waitNodesReady(server: { url: string; token: string }, count: number, timeoutMs = 60_000): Promise<void> {
  await waitUntil(`${count} nodes Ready`, async () => {
    const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/nodes')
    return body.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === count || undefined
  }, timeoutMs)
}

/** A free TCP port on `host` (released again before the caller binds it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer()
    s.once('error', reject)
    s.listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)) })
  })
}

/** An app manifest running a test workload (examples/hello by default) with a readiness probe. */
export function workloadManifest(name: string, opts: { replicas: number; args?: string[]; workingDir?: string; extra?: string }): string {
  return `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: ${name}}
spec:
  replicas: ${opts.replicas}
  template:
    command: ${process.execPath}
    args: ${JSON.stringify(opts.args ?? ['server.js'])}
    workingDir: ${opts.workingDir ?? join(ROOT, 'examples', 'hello')}
    ports: [{name: http}]
    readiness: {http: {path: /healthz, port: http}, periodSeconds: 0.5}
${opts.extra ?? ''}`
}
