// bench/link: (1) bytes per second per idle node on the wire, (2) time for N agents to reconnect and
// converge after the server is killed and restarted, and how many instances restarted (must be 0).
//
//   npx tsx bench/link/run.ts [--agents 100] [--idle-seconds 60] [--heartbeat 5]
//
// The server is a real `edgeplane server` process (TLS, SQLite). Agents are real agents (link,
// local state, process runtime) run in this process to save memory; each is its own site and runs
// one instance (`sleep`), so convergence includes re-adopting a real process.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { startAgent, type RunningAgent } from '../../src/agent/agent.js'
import { HttpClient } from '../../src/lib/http-client.js'
import { createLogger } from '../../src/lib/log.js'

const args = process.argv.slice(2)
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def }
const N = opt('agents', 100)
const IDLE_S = opt('idle-seconds', 60)
const HEARTBEAT = opt('heartbeat', 5)
const ROOT = resolve(import.meta.dirname, '..', '..')
const log = createLogger('bench', 'silent')

const dir = mkdtempSync(join(tmpdir(), 'ep-bench-link-'))
let server: ChildProcess | undefined
const agents: RunningAgent[] = []

function startServer(listen: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run.ts'), 'server', '--data-dir', join(dir, 'server'), '--listen', listen,
    '--heartbeat-seconds', String(HEARTBEAT), '--link-admission-rate', '1000'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'warn' } })
  return new Promise((res, rej) => {
    let err = ''
    proc.stderr!.on('data', (d) => {
      err += d
      const m = /listening on (https:\S+)/.exec(err)
      if (m) res({ url: m[1], proc })
    })
    proc.once('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)))
  })
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** TCP counters of the server's established connections, from `ss -tin` (bytes and segments). */
function wireCounters(port: number): { bytes: number; segs: number; conns: number } {
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' })
  let bytes = 0, segs = 0, conns = 0
  // Each socket is a line with addresses followed by an indented line of TCP info.
  for (const info of out.split('\n').filter((l) => /^\s/.test(l) && l.includes('segs_out'))) {
    const num = (k: string) => Number(new RegExp(`\\b${k}:(\\d+)`).exec(info)?.[1] ?? 0)
    bytes += num('bytes_sent') + num('bytes_received')
    segs += num('segs_out') + num('segs_in')
    conns++
  }
  return { bytes, segs, conns }
}

async function main(): Promise<void> {
  const first = await startServer('127.0.0.1:0')
  server = first.proc
  const url = first.url
  const port = Number(new URL(url).port)
  const token = readFileSync(join(dir, 'server', 'admin.token'), 'utf8').trim()
  const ca = readFileSync(join(dir, 'server', 'pki', 'ca.crt'), 'utf8')
  const http = new HttpClient({ baseUrl: url, token, ca })
  const join_ = (await http.request('POST', '/v1/tokens', { type: 'join', maxUses: N, gateway: true })) as { token: string }

  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    agents.push(await startAgent({
      server: url, joinToken: join_.token, dataDir: join(dir, 'agents', String(i)), name: `n${i}`, address: '127.0.0.1',
      site: { name: `site-${i}`, region: `r${i % 8}`, provider: `p${i % 3}`, tier: 'edge' }, log,
    }))
  }
  await http.request('PATCH', '/apis/edgeplane.io/v1/namespaces/default/apps/idle', {
    apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'idle' },
    spec: { replicas: N, template: { command: 'sleep', args: ['86400'] }, placement: { spread: { by: 'site' } } },
  }, undefined, 'application/apply-patch+yaml')
  const running = async () => {
    const { items } = (await http.request('GET', '/apis/edgeplane.io/v1/namespaces/default/instances')) as { items: { status?: { phase: string; pid?: number; restarts: number } }[] }
    return items.length === N && items.every((i) => i.status?.phase === 'Running') ? items : undefined
  }
  const before = await until(running, 120_000)
  const setupS = (performance.now() - t0) / 1000
  const pidsBefore = before.map((i) => i.status!.pid).sort()

  // (1) idle wire cost: nothing changes for IDLE_S seconds.
  await new Promise((r) => setTimeout(r, 3000))
  const a = wireCounters(port)
  const ta = performance.now()
  await new Promise((r) => setTimeout(r, IDLE_S * 1000))
  const b = wireCounters(port)
  const secs = (performance.now() - ta) / 1000
  const payloadPerNode = (b.bytes - a.bytes) / N / secs
  // IPv4 (20) + TCP with timestamps (32) per segment; a real link adds its own framing (Ethernet 14+).
  const wirePerNode = (b.bytes - a.bytes + (b.segs - a.segs) * 52) / N / secs

  // (2) reconnect storm: kill -9 the server, start it again on the same port and data.
  server.kill('SIGKILL')
  await new Promise((r) => server!.once('exit', r))
  const tKill = performance.now()
  await until(() => (agents.every((x) => !x.link.connected) ? true : undefined), 60_000)
  const restarted = await startServer(`127.0.0.1:${port}`)
  server = restarted.proc
  const tUp = performance.now()
  await until(() => (agents.every((x) => x.link.connected) ? true : undefined), 300_000)
  const tConnected = performance.now()
  const readyNodes = async () => {
    const { items } = (await http.request('GET', '/apis/edgeplane.io/v1/nodes')) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }
    return items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === N ? true : undefined
  }
  await until(readyNodes, 300_000)
  const after = await until(running, 300_000)
  const tConverged = performance.now()
  const pidsAfter = after.map((i) => i.status!.pid).sort()
  const restarts = after.reduce((s, i) => s + i.status!.restarts, 0)
  const samePids = JSON.stringify(pidsBefore) === JSON.stringify(pidsAfter)

  const result = {
    bench: 'link', agents: N, heartbeatSeconds: HEARTBEAT, cpus: cpus().length, node: process.version,
    setupSeconds: +setupS.toFixed(1),
    idle: { seconds: +secs.toFixed(1), connections: b.conns, payloadBytesPerSecPerNode: +payloadPerNode.toFixed(1), wireBytesPerSecPerNode: +wirePerNode.toFixed(1) },
    reconnect: {
      serverStartToAllConnectedS: +((tConnected - tUp) / 1000).toFixed(2),
      serverStartToConvergedS: +((tConverged - tUp) / 1000).toFixed(2),
      downtimeS: +((tUp - tKill) / 1000).toFixed(2),
      instanceRestarts: restarts, samePids,
    },
  }
  console.log(`edgeplane link bench: ${N} agents (one instance each), heartbeat ${HEARTBEAT}s, ${cpus().length} CPUs, node ${process.version}`)
  console.log(`idle link, per node:       ${payloadPerNode.toFixed(1)} B/s of TCP payload (TLS records), ~${wirePerNode.toFixed(1)} B/s with IP+TCP headers, over ${secs.toFixed(0)} s`)
  console.log(`  (KubeEdge user report: ~1,700 B/s per idle node, #6179; OpenYurt YurtHub: 15,000–20,000 B/s)`)
  console.log(`reconnect after kill -9:   all ${N} links up ${result.reconnect.serverStartToAllConnectedS} s after the server started, converged (all nodes Ready, all instances Running) after ${result.reconnect.serverStartToConvergedS} s`)
  console.log(`instance restarts:         ${restarts} (same pids: ${samePids})`)
  console.log(JSON.stringify(result))
}

main().then(cleanup, async (err) => { console.error(err); await cleanup(); process.exitCode = 1 })

async function cleanup(): Promise<void> {
  for (const a of agents) await a.stop({ stopInstances: true }).catch(() => undefined)
  server?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  setTimeout(() => process.exit(), 500).unref()
}
