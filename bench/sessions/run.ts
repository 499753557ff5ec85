// bench/sessions: session allocations per second and latency, warm and cold, with real agents.
//
//   npx tsx bench/sessions/run.ts [--sites 3] [--allocations 20000] [--concurrency 32] [--cold 20]
//
// A real `edgeplane server` process (TLS, SQLite: every allocation is a durable Session write) and
// real agents (in this process, to save memory) each running a warm pool of examples/game
// instances (real processes). Warm: N allocations from C concurrent clients over keep-alive HTTPS,
// each answered only after its Session is committed. Cold: a scaled-to-zero app, one allocation
// at a time, each waiting for a fresh instance to start and pass its readiness probe.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { Agent, request } from 'undici'
import { startAgent, type RunningAgent } from '../../src/agent/agent.js'
import { HttpClient } from '../../src/lib/http-client.js'
import { createLogger } from '../../src/lib/log.js'

const args = process.argv.slice(2)
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def }
const SITES = opt('sites', 3)
const N = opt('allocations', 20000)
const C = opt('concurrency', 32)
const COLD = opt('cold', 20)
const ROOT = resolve(import.meta.dirname, '..', '..')
const log = createLogger('bench', 'silent')
const dir = mkdtempSync(join(tmpdir(), 'ep-bench-sessions-'))
let server: ChildProcess | undefined
const agents: RunningAgent[] = []

function startServer(): Promise<string> {
  const prof = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []
  // The server runs compiled, as deployed (built just before).
  server = spawn(process.execPath, [...prof, join(ROOT, 'dist/cli/run.js'), 'server', '--data-dir', join(dir, 'server'), '--listen', '127.0.0.1:0', '--no-dns'],
    // BENCH_PROFILE=DIR writes a CPU profile of the server there.
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'warn' } })
  return new Promise((res, rej) => {
    let err = ''
    server!.stderr!.on('data', (d) => { err += d; const m = /listening on (https:\S+)/.exec(err); if (m) res(m[1]) })
    server!.once('exit', (c) => rej(new Error(`server exited ${c}: ${err}`)))
  })
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The server process's CPU time so far (user + system), ms. */
function serverCpuMs(): number {
  const stat = readFileSync(`/proc/${server!.pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function gameApp(name: string, sessions: Record<string, unknown>) {
  return {
    apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name },
    spec: {
      template: {
        command: process.execPath, args: ['server.js'], workingDir: join(ROOT, 'examples', 'game'), ports: [{ name: 'ws' }],
        readiness: { http: { path: '/healthz', port: 'ws' }, periodSeconds: 0.2 },
      },
      sessions: { urlScheme: 'ws', ...sessions },
    },
  }
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  const url = await startServer()
  const token = readFileSync(join(dir, 'server', 'admin.token'), 'utf8').trim()
  const ca = readFileSync(join(dir, 'server', 'pki', 'ca.crt'), 'utf8')
  const http = new HttpClient({ baseUrl: url, token, ca })
  const join_ = (await http.request('POST', '/v1/tokens', { type: 'join', maxUses: SITES })) as { token: string }
  const cities = [[48.85, 2.35], [50.11, 8.68], [40.71, -74.0], [35.68, 139.65], [51.5, -0.12]]
  for (let i = 0; i < SITES; i++) {
    const [lat, lon] = cities[i % cities.length]
    agents.push(await startAgent({
      server: url, joinToken: join_.token, dataDir: join(dir, 'agents', String(i)), name: `n${i}`, address: `127.0.7${i}.1`,
      site: { name: `site-${i}`, region: `r${i}`, provider: 'p', tier: 'edge', geo: { lat, lon } }, log,
    }))
  }
  const apply = (obj: unknown) => http.request('PATCH', `/apis/edgeplane.io/v1/namespaces/default/apps/${(obj as { metadata: { name: string } }).metadata.name}`, obj, undefined, 'application/apply-patch+yaml')
  // Enough warm slots for every allocation: 2 instances per site of 5,000 slots each.
  const perSite = Math.ceil(N / SITES)
  await apply(gameApp('warm', { slotsPerInstance: 5000, warmPerSite: perSite, maxPerSite: Math.ceil(perSite / 5000) + 1, defaultTtlSeconds: 3600 }))
  await until(async () => {
    const { items } = (await http.request('GET', '/apis/edgeplane.io/v1/namespaces/default/instances?labelSelector=edgeplane.io%2Fapp%3Dwarm')) as { items: { status?: { ready: boolean } }[] }
    return items.length >= SITES && items.every((i) => i.status?.ready) ? true : undefined
  }, 120_000)

  const dispatcher = new Agent({ connect: { ca }, connections: C, pipelining: 1 })
  const alloc = async (app: string, i: number, deadlineMs: number): Promise<{ ms: number; ok: boolean; start?: string }> => {
    const [lat, lon] = cities[i % SITES]
    const t0 = performance.now()
    const res = await request(`${url}/v1/sessions`, {
      method: 'POST', dispatcher,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app, location: { lat: lat + (i % 7) * 0.01, lon }, deadlineMs }),
    })
    const body = await res.body.json() as { start?: string }
    return { ms: performance.now() - t0, ok: res.statusCode === 201, start: body.start }
  }

  // Warm-up (JIT, connections), not counted.
  for (let i = 0; i < 200; i++) await alloc('warm', i, 1000)
  const lat: number[] = []
  let failed = 0
  let next = 0
  const cpu0 = serverCpuMs()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < N - 200) {
      const i = next++
      const r = await alloc('warm', i, 1000)
      if (r.ok && r.start === 'warm') lat.push(r.ms)
      else failed++
    }
  }))
  const secs = (performance.now() - t0) / 1000
  const cpuPerAlloc = (serverCpuMs() - cpu0) / Math.max(1, lat.length)
  lat.sort((a, b) => a - b)
  const warm = {
    allocations: lat.length, failed, perSecond: Math.round(lat.length / secs), p50Ms: +pct(lat, 50).toFixed(2), p99Ms: +pct(lat, 99).toFixed(2),
    serverCpuUsPerAllocation: Math.round(cpuPerAlloc * 1000), perServerCoreSecond: Math.round(1000 / cpuPerAlloc),
  }

  // Cold: scaled to zero; each allocation waits for a new instance (process start + readiness).
  await apply(gameApp('cold', { slotsPerInstance: 1, warmPerSite: 0, maxPerSite: COLD + 1, defaultTtlSeconds: 3600 }))
  const coldLat: number[] = []
  for (let i = 0; i < COLD; i++) {
    const r = await alloc('cold', 0, 30_000)
    if (r.ok && r.start === 'cold') coldLat.push(r.ms)
  }
  coldLat.sort((a, b) => a - b)
  const cold = { allocations: coldLat.length, p50Ms: Math.round(pct(coldLat, 50)), p99Ms: Math.round(pct(coldLat, 99)) }

  const result = { bench: 'sessions', sites: SITES, concurrency: C, cpus: cpus().length, loadavg: +loadavg()[0].toFixed(2), node: process.version, warm, cold }
  console.log(`edgeplane sessions bench: ${SITES} sites (real agents, examples/game instances), ${C} concurrent clients over HTTPS, ${cpus().length} CPUs, load ${result.loadavg}`)
  console.log(`warm: ${warm.allocations} allocations at ${warm.perSecond}/s, p50 ${warm.p50Ms} ms, p99 ${warm.p99Ms} ms (${failed} not warm or failed)   [target ≥ 2,000/s, p99 ≤ 20 ms]`)
  console.log(`      server CPU ${warm.serverCpuUsPerAllocation} µs per allocation: ~${warm.perServerCoreSecond} allocations/s per server core (the load generator and agents share the 2 cores)`)
  console.log(`cold: ${cold.allocations} allocations, p50 ${cold.p50Ms} ms, p99 ${cold.p99Ms} ms (process start + readiness probe)`)
  console.log(`anchors (published): Agones ~300–400 allocations/s (googleforgames/agones#4149) with 500 ms allocation batching (#3635); Fly.io machines start in ~300 ms`)
  console.log(JSON.stringify(result))
  await dispatcher.close()
  await http.close()
}

main().then(cleanup, async (err) => { console.error(err); await cleanup(); process.exitCode = 1 })

async function cleanup(): Promise<void> {
  for (const a of agents) await a.stop({ stopInstances: true }).catch(() => undefined)
  if (server && process.env.BENCH_PROFILE) { server.kill('SIGINT'); await new Promise((r) => setTimeout(r, 3000)) }
  server?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  setTimeout(() => process.exit(), 500).unref()
}
