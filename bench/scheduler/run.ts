// bench/scheduler: the pure scheduler at fleet scale. A seeded synthetic fleet of N sites (a few
// nodes each, in regions around the world, several providers, prices) and M apps with mixed
// placements and division modes, scheduled one after another: each plan is applied to the fleet
// (as the plan applier would) before the next app is scheduled, so earlier apps fill capacity.
// Late high-priority apps preempt earlier low-priority ones once sites are full.
//
//   npx tsx bench/scheduler/run.ts [--sites 10000] [--apps 1000] [--seed 1] [--input index|snapshot]
//       [--replicas-max 1000] [--warmup 20] [--slowest 5]
//
// --input index (default) keeps one FleetIndex current across apps (the controller's way);
// --input snapshot hands schedule() a plain Snapshot each time (it indexes it on every call).
// Figures: placements/s over the time spent inside schedule(); p50/p99 of one schedule() call.
import { performance } from 'node:perf_hooks'
import { cpus, loadavg } from 'node:os'
import { schedule, FleetIndex } from '../../src/scheduler/index.js'
import type { App, Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import type { DemandPoint, NodeInfo, PlacedInstance, SchedulePlan, ScheduleRequest, SiteInfo, Snapshot } from '../../src/scheduler/types.js'
import { appRequest } from '../../src/scheduler/feasibility.js'
import { mulberry32 } from '../../src/lib/rng.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const SITES = Number(opt('sites', '10000'))
const APPS = Number(opt('apps', '1000'))
const SEED = Number(opt('seed', '1'))
const INPUT = opt('input', 'index') as 'index' | 'snapshot'
const REPLICAS_MAX = Number(opt('replicas-max', '1000'))
const WARMUP = Number(opt('warmup', '20'))
const SLOWEST = Number(opt('slowest', '0'))

const rand = mulberry32(SEED)
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]
const chance = (p: number) => rand() < p

// ---------- the fleet ----------

const REGIONS = [
  { name: 'eu-west', lat: 48.8, lon: 2.3 }, { name: 'eu-central', lat: 50.1, lon: 8.7 }, { name: 'eu-north', lat: 59.3, lon: 18.1 },
  { name: 'us-east', lat: 40.7, lon: -74.0 }, { name: 'us-central', lat: 41.9, lon: -87.6 }, { name: 'us-west', lat: 37.8, lon: -122.4 },
  { name: 'sa-east', lat: -23.5, lon: -46.6 }, { name: 'ap-northeast', lat: 35.7, lon: 139.7 }, { name: 'ap-southeast', lat: 1.35, lon: 103.8 },
  { name: 'ap-south', lat: 19.1, lon: 72.9 }, { name: 'af-south', lat: -26.2, lon: 28.0 }, { name: 'oc-east', lat: -33.9, lon: 151.2 },
] as const
const PROVIDERS = ['own', 'acme', 'globex', 'initech', 'umbrella'] as const
const Gi = 1024 ** 3

function buildFleet(): Snapshot {
  const sites: SiteInfo[] = []
  const nodes: NodeInfo[] = []
  for (let i = 0; i < SITES; i++) {
    const r = pick(REGIONS)
    const name = `site-${String(i).padStart(5, '0')}`
    const central = chance(0.02)
    sites.push({
      name, region: r.name, provider: pick(PROVIDERS), tier: central ? 'central' : 'edge',
      labels: { zone: pick(['a', 'b', 'c']), ...(chance(0.2) ? { gpu: 'yes' } : {}) },
      geo: { lat: r.lat + (rand() - 0.5) * 12, lon: r.lon + (rand() - 0.5) * 16 },
      unschedulable: chance(0.01), price: Math.round((0.02 + rand() * 0.06) * 1000) / 1000,
    })
    for (let j = 0, n = central ? int(8, 16) : int(2, 4); j < n; j++) {
      nodes.push({
        name: `${name}-n${j}`, site: name, ready: !chance(0.005), unschedulable: false,
        allocatable: central ? { cpu: 8000, memory: 32 * Gi } : { cpu: 2000, memory: 4 * Gi }, labels: {},
      })
    }
  }
  return { sites, nodes, instances: [] }
}

// ---------- the apps ----------

interface BenchApp { req: ScheduleRequest; mode: string }

function demandAround(): DemandPoint[] {
  const out: DemandPoint[] = []
  const centers = Array.from({ length: int(1, 3) }, () => pick(REGIONS))
  for (let k = 0, n = int(3, 20); k < n; k++) {
    const c = pick(centers)
    out.push({ point: { lat: c.lat + (rand() - 0.5) * 10, lon: c.lon + (rand() - 0.5) * 14 }, weight: Math.round(1 + rand() * 500) })
  }
  return out
}

function buildApps(): BenchApp[] {
  const out: BenchApp[] = []
  for (let a = 0; a < APPS; a++) {
    const modeRoll = rand()
    const mode = modeRoll < 0.4 ? 'fixed' : modeRoll < 0.6 ? 'weighted' : modeRoll < 0.8 ? 'capacity' : 'demand'
    const placement: PlacementSpec = {}
    if (chance(0.4)) placement.regions = Array.from(new Set(Array.from({ length: int(1, 4) }, () => pick(REGIONS).name)))
    if (chance(0.15)) placement.providers = Array.from(new Set(Array.from({ length: int(1, 3) }, () => pick(PROVIDERS))))
    if (chance(0.1)) placement.siteSelector = { matchLabels: { gpu: 'yes' } }
    if (chance(0.1)) placement.tiers = ['edge']
    if (chance(0.3)) placement.maxPerSite = int(1, 8)
    if (mode === 'fixed') placement.spread = { by: pick(['site', 'region', 'provider'] as const) }
    else if (mode === 'weighted') {
      const regions = placement.regions ?? Array.from(new Set(Array.from({ length: int(2, 4) }, () => pick(REGIONS).name)))
      placement.division = { mode: 'weighted', weights: regions.map((region) => ({ region, weight: int(1, 5) })) }
    } else placement.division = { mode: mode as 'capacity' | 'demand' }
    // Mostly small apps, a few large ones (log-uniform).
    const replicas = Math.max(1, Math.round(Math.exp(rand() * Math.log(REPLICAS_MAX))))
    // The last fifth of the apps are higher priority (the peak-time live streams of the issue).
    const priority = a >= APPS * 0.8 ? 100 : chance(0.3) ? 0 : 10
    const name = `app-${String(a).padStart(4, '0')}`
    const app: App = {
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name, namespace: 'bench' },
      spec: {
        replicas, priority, placement,
        template: { runtime: 'process', command: 'x', stopGracePeriodSeconds: 10, resources: { cpu: pick(['100m', '250m', '500m', '1']), memory: pick(['128Mi', '256Mi', '512Mi', '1Gi']) } },
      },
    }
    out.push({ mode, req: { app, appKey: `bench/${name}`, revision: 'r1', now: 1_700_000_000_000, recentPreemptions: 0, ...(mode === 'demand' ? { demand: demandAround() } : {}) } })
  }
  return out
}

// ---------- run ----------

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function main(): void {
  const t0 = performance.now()
  const snapshot = buildFleet()
  const apps = buildApps()
  const buildMs = performance.now() - t0
  const fleet = FleetIndex.from(snapshot)
  const instances = new Map<string, PlacedInstance>()
  // Warm-up (JIT, per-site memos): plans for the first apps, computed and thrown away.
  for (const a of apps.slice(0, WARMUP)) schedule(INPUT === 'index' ? fleet : snapshot, a.req)
  const lat: number[] = []
  const latByMode = new Map<string, number[]>()
  const slow: { ms: number; app: string; mode: string; replicas: number; placed: number; preempted: number; filtered: boolean }[] = []
  let placed = 0, unplaced = 0, preempted = 0, removed = 0, wanted = 0
  let seq = 0
  let inSchedule = 0
  const wall0 = performance.now()
  for (const a of apps) {
    const input = INPUT === 'index' ? fleet : { sites: snapshot.sites, nodes: snapshot.nodes, instances: [...instances.values()] }
    const s = performance.now()
    const plan: SchedulePlan = schedule(input, a.req)
    const dt = performance.now() - s
    inSchedule += dt
    lat.push(dt)
    const list = latByMode.get(a.mode) ?? []
    list.push(dt)
    latByMode.set(a.mode, list)
    wanted += a.req.app.spec.replicas
    placed += plan.place.length
    unplaced += plan.unplaced
    preempted += plan.preempt.length
    if (SLOWEST) slow.push({ ms: +dt.toFixed(2), app: a.req.appKey, mode: a.mode, replicas: a.req.app.spec.replicas, placed: plan.place.length, preempted: plan.preempt.length, filtered: !!a.req.app.spec.placement?.regions })
    // Apply, as the plan applier would: victims and removals go, placements become instances.
    for (const n of [...plan.remove, ...plan.preempt.map((p) => p.victim)]) { fleet.deleteInstance(n); instances.delete(n); removed++ }
    const request = appRequest(a.req.app)
    for (const p of plan.place) {
      const i: PlacedInstance = { name: `i-${seq++}`, app: a.req.appKey, revision: 'r1', node: p.node, site: p.site, request, priority: a.req.app.spec.priority ?? 0, ready: true, createdAt: seq }
      fleet.putInstance(i)
      instances.set(i.name, i)
    }
  }
  const wallMs = performance.now() - wall0
  lat.sort((x, y) => x - y)
  const p50 = quantile(lat, 0.5), p99 = quantile(lat, 0.99), max = lat[lat.length - 1]
  const perSec = placed / (inSchedule / 1000)
  const cores = SITES ? snapshot.nodes.reduce((s, n) => s + n.allocatable.cpu, 0) / 1000 : 0
  const used = [...instances.values()].reduce((s, i) => s + i.request.cpu, 0) / 1000

  const fmt = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
  console.log(`bench/scheduler: ${SITES.toLocaleString('en-US')} sites (${snapshot.nodes.length.toLocaleString('en-US')} nodes, ${fmt(cores, 0)} cores), ${APPS.toLocaleString('en-US')} apps, input ${INPUT}, seed ${SEED}`)
  console.log(`  warm-up: ${WARMUP} plans thrown away first; replicas per app 1–${REPLICAS_MAX} (log-uniform)`)
  console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`)
  console.log(`  fleet generated in ${fmt(buildMs, 0)} ms; replicas wanted ${wanted.toLocaleString('en-US')}, placed ${placed.toLocaleString('en-US')}, unplaced ${unplaced.toLocaleString('en-US')}, preempted ${preempted}, removed ${removed}; cpu in use ${fmt((100 * used) / cores, 1)}%`)
  console.log('')
  console.log('| figure | edgeplane | anchor |')
  console.log('| --- | ---: | --- |')
  console.log(`| placements/s (time inside schedule()) | ${fmt(perSec, 0)} | Nomad C2M: 2,000,000 containers in 22 min ≈ 1,500/s (large server cluster) |`)
  console.log(`| placements/s (wall, incl. applying plans) | ${fmt(placed / (wallMs / 1000), 0)} | |`)
  console.log(`| decision latency p50 / p99 / max (one schedule() per app) | ${fmt(p50)} / ${fmt(p99)} / ${fmt(max)} ms | Karmada: scheduling p99 32 ms at 100 clusters |`)
  for (const [mode, l] of [...latByMode.entries()].sort()) {
    l.sort((x, y) => x - y)
    console.log(`| … mode ${mode} (${l.length} apps) p50 / p99 | ${fmt(quantile(l, 0.5))} / ${fmt(quantile(l, 0.99))} ms | |`)
  }
  if (SLOWEST) for (const x of slow.sort((p, q) => q.ms - p.ms).slice(0, SLOWEST)) console.log(`  slow: ${JSON.stringify(x)}`)
  console.log('')
  console.log(JSON.stringify({
    bench: 'scheduler', sites: SITES, nodes: snapshot.nodes.length, apps: APPS, input: INPUT, seed: SEED,
    placed, unplaced, preempted, placementsPerSec: Math.round(perSec), wallPlacementsPerSec: Math.round(placed / (wallMs / 1000)),
    p50Ms: +p50.toFixed(3), p99Ms: +p99.toFixed(3), maxMs: +max.toFixed(3), scheduleMs: Math.round(inSchedule), wallMs: Math.round(wallMs),
    anchors: { nomadC2MPerSec: 1500, karmadaP99Ms: 32 },
  }))
}

main()
