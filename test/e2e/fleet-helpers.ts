// Real processes on loopback for end-to-end tests: a server, agents, and the CLI, each started
// exactly as a user would (the CLI entry point through tsx), with everything killed afterwards.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Agent, request } from 'undici'

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
  const p = startCli(['server', '--data-dir', dataDir, '--listen', listen, ...extra])
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
