// bench/sessions: session allocations per second and latency, warm and cold, with real agents or,
// with --hollow, with a fleet of hollow sites.
//
//   npx tsx bench/sessions/run.ts [--sites 3] [--allocations 20000] [--concurrency 32] [--cold 20]
//   npx tsx bench/sessions/run.ts --hollow [--sites 1000] [--seed 1] [--allocations 20000] [--concurrency 32] [--cold 20]
//   … [--rate 2000] [--rate-seconds 10] [--fleet-in-process] [--no-burst]
//
// A real `edgeplane server` process (compiled, TLS, SQLite: every allocation is a durable Session
// write). Real agents (default; in this process, to save memory) each run a warm pool of
// examples/game instances (real processes). --hollow: the sites are hollow nodes from src/sim (the
// real link protocol; instances simulated, Running 200 ms after placement and ready 500 ms later,
// with endpoints on the node's own loopback address), placed in real cities, so the allocation
// path (nearest site with a warm slot among all of them) is measured at fleet scale. The hollow
// fleet runs in a process of its own (`edgeplane sim`, compiled), as sites are not where users are:
// its loop's pauses would otherwise delay the clients' requests and replies and count in their
// latencies. --fleet-in-process runs it in this process instead (as before 2026-12-05).
// Warm: N allocations from C concurrent clients over keep-alive HTTPS, each answered only after its
// Session is committed; each client asks from near one of the sites, in turn. Cold: a
// scaled-to-zero app, one allocation at a time, each waiting for a fresh instance to start and be
// ready (real agents: a process and its readiness probe; hollow: the simulated delays).
// --rate R: after the warm run at full speed, a fixed-rate warm run (open loop, as wrk2): allocation
// k is due at k/R s and its latency counts from then, so time spent queued behind a slow answer is
// counted (no coordinated omission). This is the p99 at R allocations/s; the full-speed run's p99 is
// the one at saturation, where two shared cores hold the server, the clients and the fleet.
// Burst (issue 27): 10, then 100 concurrent allocations from next to the first site, whose pool
// has 4 warm slots (bench/sessions/burst.ts): share placed at the nearest site and within the
// distance budget, p99, and the refill. Apps use the default probe settings (no periodSeconds).
// BENCH_PROFILE=DIR writes a CPU profile of the server there.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Agent, request } from 'undici'
import { startAgent, type RunningAgent } from '../../src/agent/agent.js'
import { createLogger } from '../../src/lib/log.js'
import { ensureFileLimit } from '../../src/sim/limits.js'
import { startFleet, type Fleet } from '../../src/sim/index.js'
import { generateSites } from '../../src/sim/world.js'
import { adminClient, load, ROOT, sample, startServerProc, stopServer, type ServerProc } from '../lib/server.js'
import { runBurst, type BurstResult } from './burst.js'

const args = process.argv.slice(2)
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def }
const HOLLOW = args.includes('--hollow')
const SITES = opt('sites', HOLLOW ? 1000 : 3)
const N = opt('allocations', 20000)
const C = opt('concurrency', 32)
const COLD = opt('cold', 20)
const SEED = String(opt('seed', 1))
const RATE = opt('rate', 0)
const RATE_SECONDS = opt('rate-seconds', 10)
const FLEET_IN_PROCESS = args.includes('--fleet-in-process')
const log = createLogger('bench', 'silent')
const dir = mkdtempSync(join(tmpdir(), 'ep-bench-sessions-'))
let server: ServerProc | undefined
const agents: RunningAgent[] = []
let fleet: Fleet | undefined
let fleetProc: ChildProcess | undefined
let stopping = false

/** The hollow fleet as its own process: `edgeplane sim` (compiled), with the same world as generateSites(SITES, SEED). */
function startFleetProc(url: string, joinToken: string): void {
  const simArgs = [join(ROOT, 'dist/cli/run.js'), 'sim', '--server', url, '--join-token', joinToken, '--sites', String(SITES), '--seed', SEED, '--data-dir', join(dir, 'sim'), '--summary-seconds', '3600']
  fleetProc = spawn(process.execPath, simArgs, { cwd: ROOT, stdio: ['pipe', 'ignore', 'inherit'] })
  fleetProc.once('exit', (c, sig) => { if (!stopping) console.error(`bench: the fleet process exited ${c ?? sig}`) })
}

async function startServer(): Promise<string> {
  // The server runs compiled, as deployed (built just before).
  server = await startServerProc({ dataDir: join(dir, 'server'), listen: '127.0.0.1:0', links: HOLLOW ? SITES : 0, compiled: true, logLevel: 'warn', cpuProfDir: process.env.BENCH_PROFILE })
  return server.url
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
interface ServerSide { posts: number; within: Record<string, number>; p99AtMostMs: number; loopDelayMs: { p99: number; max: number } }

/**
 * The server's own view of a window, from two scrapes of /metrics: how long it held each POST
 * (request read to response written, by histogram bucket) and its event loop's delay (prom-client
 * resets that histogram at every scrape, so the second scrape covers the window). What the clients
 * measure beyond this is time outside the server's handling: in sockets, in the load generator, or
 * waiting for a core.
 */
function serverSide(before: string, after: string): ServerSide {
  const buckets = (text: string) => {
    const m = new Map<string, number>()
    for (const [, le, n] of text.matchAll(/^edgeplane_http_request_duration_seconds_bucket\{le="([^"]+)",method="POST"\} (\d+)$/gm)) m.set(le, Number(n))
    return m
  }
  const b0 = buckets(before), b1 = buckets(after)
  const posts = (b1.get('+Inf') ?? 0) - (b0.get('+Inf') ?? 0)
  const within: Record<string, number> = {}
  let p99AtMostMs = Infinity
  for (const [le, n] of [...b1].filter(([le]) => le !== '+Inf').sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const share = posts ? (n - (b0.get(le) ?? 0)) / posts : 0
    within[`${Number(le) * 1000}ms`] = +(share * 100).toFixed(2)
    if (share >= 0.99 && p99AtMostMs === Infinity) p99AtMostMs = Number(le) * 1000
  }
  const gauge = (name: string) => Number(after.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN) * 1000
  return { posts, within, p99AtMostMs, loopDelayMs: { p99: +gauge('edgeplane_server_nodejs_eventloop_lag_p99_seconds').toFixed(1), max: +gauge('edgeplane_server_nodejs_eventloop_lag_max_seconds').toFixed(1) } }
}

function serverCpuMs(): number {
  return sample(server!.proc.pid!).cpuMs
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function gameApp(name: string, sessions: Record<string, unknown>) {
  return {
    apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name },
    spec: {
      // Hollow nodes run nothing: the command is never started (small requests: 1,000 sites fit).
      // The default probe settings (5 s period): readiness is found on the startup ramp.
      template: HOLLOW
        ? { command: 'game-server', ports: [{ name: 'ws' }], resources: { cpu: '100m', memory: '64Mi' }, readiness: { http: { path: '/healthz', port: 'ws' } } }
        : {
          command: process.execPath, args: ['server.js'], workingDir: join(ROOT, 'examples', 'game'), ports: [{ name: 'ws' }],
          readiness: { http: { path: '/healthz', port: 'ws' } },
        },
      sessions: { urlScheme: 'ws', ...sessions },
    },
  }
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (HOLLOW) {
    const lim = ensureFileLimit(SITES + 2048)
    if (lim.problem) throw new Error(lim.problem)
  }
  const url = await startServer()
  const { http, token, ca } = adminClient(url, join(dir, 'server'))
  const join_ = (await http.request('POST', '/v1/tokens', { type: 'join', maxUses: SITES, gateway: true })) as { token: string }
  // Where clients ask from: near each site in turn.
  let locations: [number, number][]
  if (HOLLOW) {
    if (FLEET_IN_PROCESS) fleet = await startFleet({ server: url, joinToken: join_.token, sites: SITES, seed: SEED, log, dataDir: join(dir, 'sim'), waitTimeoutMs: 600_000 })
    else startFleetProc(url, join_.token)
    locations = generateSites(SITES, SEED).map((s) => [s.registration.geo!.lat, s.registration.geo!.lon])
    // Every site usable: its node Ready (the server's view), before the pools are sized.
    await until(async () => {
      const { items } = (await http.request('GET', '/apis/edgeplane.io/v1/nodes')) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }
      return items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= SITES ? true : undefined
    }, 600_000)
  } else {
    const cities: [number, number][] = [[48.85, 2.35], [50.11, 8.68], [40.71, -74.0], [35.68, 139.65], [51.5, -0.12]]
    locations = Array.from({ length: SITES }, (_, i) => cities[i % cities.length])
    for (let i = 0; i < SITES; i++) {
      const [lat, lon] = locations[i]
      agents.push(await startAgent({
        server: url, joinToken: join_.token, dataDir: join(dir, 'agents', String(i)), name: `n${i}`, address: `127.0.7${i}.1`,
        site: { name: `site-${i}`, region: `r${i}`, provider: 'p', tier: 'edge', geo: { lat, lon } }, log,
      }))
    }
  }
  const apply = (obj: unknown) => http.request('PATCH', `/apis/edgeplane.io/v1/namespaces/default/apps/${(obj as { metadata: { name: string } }).metadata.name}`, obj, undefined, 'application/apply-patch+yaml')
  // Enough warm slots for every allocation: 2 instances per site of 5,000 slots each.
  const perSite = Math.ceil((N + Math.round(RATE * RATE_SECONDS)) / SITES)
  await apply(gameApp('warm', { slotsPerInstance: 5000, warmPerSite: perSite, maxPerSite: Math.ceil(perSite / 5000) + 1, defaultTtlSeconds: 3600 }))
  // Hollow: a site whose pool instance is stuck (see BENCHMARKS.md: a node that misses heartbeats
  // without losing its link keeps its instances Unknown) is reported, not waited for forever.
  let seen = { instances: 0, ready: 0 }
  let stuckSince = 0
  let lastReady = -1
  await until(async () => {
    const { items } = (await http.request('GET', '/apis/edgeplane.io/v1/namespaces/default/instances?labelSelector=edgeplane.io%2Fapp%3Dwarm')) as { items: { status?: { ready: boolean } }[] }
    seen = { instances: items.length, ready: items.filter((i) => i.status?.ready).length }
    if (items.length >= SITES && seen.ready === items.length) return true
    if (seen.ready !== lastReady) { lastReady = seen.ready; stuckSince = Date.now() }
    return HOLLOW && seen.ready >= 0.99 * SITES && Date.now() - stuckSince > 60_000 ? true : undefined
  }, HOLLOW ? 600_000 : 120_000).catch((err) => { throw new Error(`${err.message}: ${JSON.stringify(seen)}`) })
  const poolsNotReady = Math.max(0, SITES - seen.ready)
  if (poolsNotReady) console.error(`bench: ${poolsNotReady} of ${SITES} sites have no ready warm-pool instance after a minute without progress; going on (their clients get the next nearest site)`)
  const dispatcher = new Agent({ connect: { ca }, connections: C, pipelining: 1 })
  const alloc = async (app: string, i: number, deadlineMs: number): Promise<{ ms: number; ok: boolean; start?: string }> => {
    const [lat, lon] = locations[i % SITES]
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
  const warmLoad = load()
  const cpuPerAlloc = (serverCpuMs() - cpu0) / Math.max(1, lat.length)
  lat.sort((a, b) => a - b)
  const warm = {
    allocations: lat.length, failed, perSecond: Math.round(lat.length / secs), p50Ms: +pct(lat, 50).toFixed(2), p99Ms: +pct(lat, 99).toFixed(2),
    serverCpuUsPerAllocation: Math.round(cpuPerAlloc * 1000), perServerCoreSecond: Math.round(1000 / cpuPerAlloc),
  }

  // Fixed rate (--rate): each allocation starts when it is due, whether or not earlier ones answered.
  let fixedRate: { rate: number; allocations: number; failed: number; achievedPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number; clientLoopDelayMs: { p99: number; max: number }; server: ServerSide } | undefined
  if (RATE > 0) {
    const total = Math.round(RATE * RATE_SECONDS)
    const rl: number[] = []
    let rFailed = 0
    // This process's own loop delay while it sends (it also runs the clients and, with
    // --fleet-in-process, the fleet): a pause here delays sends and replies alike and counts in the latencies.
    const lag = monitorEventLoopDelay({ resolution: 1 })
    lag.enable()
    const metrics0 = String(await http.request('GET', '/metrics'))
    const start = performance.now()
    const runs: Promise<void>[] = []
    for (let k = 0; k < total; k++) {
      const due = start + (k * 1000) / RATE
      const wait = due - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
      runs.push(alloc('warm', k, 1000).then((r) => {
        if (r.ok && r.start === 'warm') rl.push(performance.now() - due)
        else rFailed++
      }))
    }
    await Promise.all(runs)
    lag.disable()
    const server = serverSide(metrics0, String(await http.request('GET', '/metrics')))
    const took = (performance.now() - start) / 1000
    rl.sort((a, b) => a - b)
    fixedRate = {
      rate: RATE, allocations: rl.length, failed: rFailed, achievedPerSecond: Math.round(rl.length / took),
      p50Ms: +pct(rl, 50).toFixed(2), p99Ms: +pct(rl, 99).toFixed(2), maxMs: +rl[rl.length - 1].toFixed(2),
      clientLoopDelayMs: { p99: +(lag.percentile(99) / 1e6).toFixed(1), max: +(lag.max / 1e6).toFixed(1) }, server,
    }
  }

  // Cold: scaled to zero; each allocation waits for a new instance (process start + readiness).
  // One app per allocation: a pool refills by its drain rate, so a second allocation of the same
  // app would find the slot its first one made it warm.
  const coldLat: number[] = []
  for (let i = 0; i < COLD; i++) {
    await apply(gameApp(`cold${i}`, { slotsPerInstance: 1, warmPerSite: 0, maxPerSite: 2, defaultTtlSeconds: 3600 }))
    const r = await alloc(`cold${i}`, 0, 30_000)
    if (r.ok && r.start === 'cold') coldLat.push(r.ms)
  }
  coldLat.sort((a, b) => a - b)
  const cold = { allocations: coldLat.length, p50Ms: Math.round(pct(coldLat, 50)), p99Ms: Math.round(pct(coldLat, 99)) }

  // Bursts at the first site (4 warm slots): 10 with one slot per instance, 100 with five (20
  // real processes rather than 100 on a shared 2-core machine; hollow: simulated either way).
  const bursts: BurstResult[] = []
  if (!args.includes('--no-burst')) {
    const burstCtx = {
      url, token, dispatcher, apply, app: gameApp, site: HOLLOW ? generateSites(SITES, SEED)[0].registration.name : 'site-0',
      at: { lat: locations[0][0] + 0.05, lon: locations[0][1] },
      instances: async (app: string) => ((await http.request('GET', `/apis/edgeplane.io/v1/namespaces/default/instances?labelSelector=edgeplane.io%2Fapp%3D${app}`)) as { items: { spec: { site: string; slots?: number }; status?: { ready: boolean } }[] })
        .items.map((i) => ({ site: i.spec.site, ready: !!i.status?.ready, slots: i.spec.slots ?? 1 })),
    }
    bursts.push(await runBurst(burstCtx, 10, 1), await runBurst(burstCtx, 100, 5))
  }

  const mode = HOLLOW ? 'hollow' : 'real'
  const result = { bench: 'sessions', mode, fleet: HOLLOW ? (FLEET_IN_PROCESS ? 'in-process' : 'own-process') : undefined, sites: SITES, poolsNotReady, concurrency: C, cpus: cpus().length, loadavg: load(), warmLoad, node: process.version, date: new Date().toISOString(), warm, fixedRate, cold, bursts }
  console.log(`edgeplane sessions bench: ${SITES} sites (${HOLLOW ? `hollow nodes from src/sim, seed ${SEED}, ${FLEET_IN_PROCESS ? 'in this process' : 'in a process of their own'}` : 'real agents, examples/game instances'}), ${C} concurrent clients over HTTPS, ${cpus().length} CPUs, load ${result.loadavg}`)
  console.log(`warm: ${warm.allocations} allocations at ${warm.perSecond}/s, p50 ${warm.p50Ms} ms, p99 ${warm.p99Ms} ms (${failed} not warm or failed; load ${warmLoad})   [target ≥ 2,000/s, p99 ≤ 20 ms]`)
  console.log(`      server CPU ${warm.serverCpuUsPerAllocation} µs per allocation: ~${warm.perServerCoreSecond} allocations/s per server core (the load generator and ${HOLLOW ? 'the hollow fleet' : 'agents'} share the 2 cores)`)
  if (fixedRate) {
    console.log(`fixed rate: ${fixedRate.allocations} allocations due at ${fixedRate.rate}/s (achieved ${fixedRate.achievedPerSecond}/s), p50 ${fixedRate.p50Ms} ms, p99 ${fixedRate.p99Ms} ms, max ${fixedRate.maxMs} ms from when each was due (${fixedRate.failed} not warm or failed); this process's loop delay p99 ${fixedRate.clientLoopDelayMs.p99} ms, max ${fixedRate.clientLoopDelayMs.max} ms   [target p99 ≤ 20 ms]`)
    const sv = fixedRate.server
    console.log(`      server side: ${sv.posts} POSTs, p99 ≤ ${sv.p99AtMostMs} ms (share within 5/10/20/50 ms: ${sv.within['5ms']}/${sv.within['10ms']}/${sv.within['20ms']}/${sv.within['50ms']}%); server loop delay p99 ${sv.loopDelayMs.p99} ms, max ${sv.loopDelayMs.max} ms`)
  }
  console.log(`cold: ${cold.allocations} allocations, p50 ${cold.p50Ms} ms, p99 ${cold.p99Ms} ms (${HOLLOW ? 'simulated start: Running after 200 ms, listening 500 ms later, seen ready on the probe ramp at +750 ms' : 'process start + readiness probe with the default settings (the startup ramp)'})`)
  console.log(`anchors (published): Agones ~300–400 allocations/s (googleforgames/agones#4149) with 500 ms allocation batching (#3635); Fly.io machines start in ~300 ms`)
  for (const b of bursts) {
    console.log(`burst of ${b.burst} at one site (4 warm slots, ${b.slotsPerInstance} per instance): ${b.ok} placed (${b.cold} cold), ${b.refused} refused; at the nearest site ${b.nearestShare}%, within 1,500 km ${b.withinBudgetShare}%; p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, max ${b.maxMs} ms; ${b.readySlotsAtSiteAfter} slots ready there 5 s later   [goal 100% within the budget]`)
    for (const r of b.refusals) console.log(`      refused: ${r}`)
  }
  console.log(JSON.stringify(result))
  await dispatcher.close()
  await http.close()
}

main().then(cleanup, async (err) => { console.error(err); await cleanup(); process.exitCode = 1 })

async function cleanup(): Promise<void> {
  stopping = true
  if (fleetProc && fleetProc.exitCode === null) {
    const exited = new Promise((r) => fleetProc!.once('exit', r))
    fleetProc.kill('SIGTERM')
    await exited
  }
  for (const a of agents) await a.stop({ stopInstances: true }).catch(() => undefined)
  await fleet?.stop().catch(() => undefined)
  await stopServer(server?.proc, !!process.env.BENCH_PROFILE)
  rmSync(dir, { recursive: true, force: true })
  setTimeout(() => process.exit(), 500).unref()
}
