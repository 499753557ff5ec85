// `npm run demo` as a user starts it: npm in its own session (as a terminal would), with ports of
// its own so a developer's running demo is untouched; and the fleet it started, from its pid file
// and its agents' state.
import { spawn, type ChildProcess } from 'node:child_process'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createSocket } from 'node:dgram'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..', '..')

export interface Demo { npm: ChildProcess; output: () => string; exited: Promise<number | null>; args: string[] }

export function startDemo(dir: string, ports: DemoPorts): Demo {
  const args = ['--data-dir', join(dir, 'demo'), '--listen', `127.0.0.1:${ports.api}`, '--dns-listen', `127.0.0.1:${ports.dns}`, '--gateway-port', String(ports.gateway)]
  const npm = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EDGEPLANE_CONFIG: join(dir, 'config.json'), EDGEPLANE_LOG_LEVEL: 'warn' },
  })
  let out = ''
  npm.stdout!.on('data', (d) => { out += d })
  npm.stderr!.on('data', (d) => { out += d })
  const exited = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)))
  return { npm, output: () => out, exited, args }
}

export async function waitForOutput(d: Demo, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!re.test(d.output())) {
    if (d.npm.exitCode !== null) throw new Error(`the demo exited (${d.npm.exitCode}) before ${re}: ${d.output()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}: ${d.output()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { state: f[0], ppid: Number(f[1]) }
  } catch { return undefined }
}

export const alive = (pid: number) => { const s = stat(pid); return !!s && s.state !== 'Z' }

/** The demo's own process, its server and agents, and the instances the agents run. */
export function fleet(dir: string): { demo: number; children: number[]; instances: number[] } {
  const data = join(dir, 'demo')
  const children = (JSON.parse(readFileSync(join(data, 'pids.json'), 'utf8')) as { pid: number }[]).map((p) => p.pid)
  const instances: number[] = []
  const agents = join(data, 'agents')
  for (const site of existsSync(agents) ? readdirSync(agents) : []) {
    try {
      const running = JSON.parse(readFileSync(join(agents, site, 'state.json'), 'utf8')).running as Record<string, { handle?: { pid: number } }>
      for (const r of Object.values(running)) if (r.handle) instances.push(r.handle.pid)
    } catch { /* no state yet */ }
  }
  return { demo: stat(children[0])!.ppid, children, instances }
}

/** Waits until none of these processes runs; returns the ones still running at the deadline. */
export async function gone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = pids.filter(alive)
    if (!left.length || Date.now() > deadline) return left
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface DemoPorts { api: number; dns: number; gateway: number }

async function freeTcp(host = '127.0.0.1', port = 0): Promise<number | undefined> {
  return new Promise((r) => {
    const s = createServer()
    s.once('error', () => r(undefined))
    s.listen(port, host, () => { const p = (s.address() as { port: number }).port; s.close(() => r(p)) })
  })
}

/** Ports free now: the API's, the DNS's (UDP), and one free on every site's address for the gateways. */
export async function demoPorts(): Promise<DemoPorts> {
  const api = (await freeTcp())!
  // The DNS serves UDP and TCP on its port: both must be free.
  let dns: number
  do dns = await new Promise<number>((r) => { const s = createSocket('udp4'); s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)) }) })
  while (dns === api || (await freeTcp('127.0.0.1', dns)) !== dns)
  for (;;) {
    const gateway = 20000 + Math.floor(Math.random() * 9000)
    const free = await Promise.all([1, 2, 3, 4, 5].map((n) => freeTcp(`127.0.${n}.1`, gateway)))
    if (free.every((p) => p === gateway) && gateway !== api) return { api, dns, gateway }
  }
}

/** The sample block of README's quick start (the one that begins with the demo's first line). */
export function readmeSample(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const quick = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Concepts'))
  const block = /```\n(starting the server[\s\S]*?)\n```/.exec(quick)
  assert.ok(block, 'README\'s quick start shows the demo\'s output')
  return block[1].split('\n')
}

