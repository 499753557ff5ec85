// bench/scheduler/controller.ts: the cost of one AppController.reconcile() at fleet scale, what the
// controller adds around schedule() (reading the fleet from the caches, the rollout's view of the
// sites, status). A memory store with --sites sites × --nodes-per-site nodes and --apps background
// apps of --replicas replicas each (placed by the controller itself), then one app of
// --target-replicas reconciled --runs times in steady state (nothing changes between runs, so
// every run does the same work: schedule, observe, an unchanged status). Figures: p50 / p99 / max ms.
//
//   npx tsx bench/scheduler/controller.ts [--sites 10000] [--nodes-per-site 3] [--apps 20]
//       [--replicas 150] [--target-replicas 100] [--runs 50] [--warmup 5] [--spread-by-site]
import { performance } from 'node:perf_hooks'
import { cpus, loadavg } from 'node:os'
import type { App, Instance, Node, Site } from '../../src/api/kinds/index.js'
import { API_VERSION } from '../../src/api/meta.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { Cache } from '../../src/store/cache.js'
import { openStore } from '../../src/store/open.js'
import { EventRecorder } from '../../src/controllers/events.js'
import { AppController } from '../../src/controllers/app-controller.js'

const argv = process.argv.slice(2)
const num = (name: string, def: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def }
const SITES = num('sites', 10_000)
const PER_SITE = num('nodes-per-site', 3)
const APPS = num('apps', 20)
const REPLICAS = num('replicas', 150)
const TARGET = num('target-replicas', 100)
const RUNS = num('runs', 50)
const WARMUP = num('warmup', 5)
/** The target app spread one per site (as bench/scale's propagation app), instead of packed by score. */
const SPREAD = argv.includes('--spread-by-site')
const Gi = 1024 ** 3
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-northeast', 'ap-south']

function app(name: string, replicas: number, priority: number, spread = false): App {
  return {
    apiVersion: API_VERSION, kind: 'App', metadata: { name, namespace: 'bench' },
    spec: { replicas, priority, ...(spread ? { placement: { spread: { by: 'site' as const } } } : {}), template: { runtime: 'process', command: 'x', stopGracePeriodSeconds: 10, resources: { cpu: '250m', memory: '256Mi' } } },
  }
}

async function idle(c: AppController): Promise<void> {
  // The memory store resolves through microtasks; a few turns of the event loop flush the caches.
  for (let quiet = 0; quiet < 3;) {
    await c.queue.idle()
    await new Promise((r) => setImmediate(r))
    quiet = c.queue.length ? 0 : quiet + 1
  }
}

async function main(): Promise<void> {
  const clock = new ManualClock()
  const log = createLogger('bench', 'silent')
  const store = openStore({ driver: 'memory' }, { clock })
  const t0 = performance.now()
  const ready = { type: 'Ready', status: 'True' as const, reason: 'AgentConnected', lastTransitionTime: new Date(clock.now() - 3600_000).toISOString() }
  for (let s = 0; s < SITES; s++) {
    const name = `site-${String(s).padStart(5, '0')}`
    const site: Site = { apiVersion: API_VERSION, kind: 'Site', metadata: { name, labels: {} }, spec: { region: REGIONS[s % REGIONS.length], provider: 'own', tier: 'edge' } }
    const nodes: Node[] = Array.from({ length: PER_SITE }, (_, k) => ({
      apiVersion: API_VERSION, kind: 'Node', metadata: { name: `${name}-n${k}`, labels: {} }, spec: { site: name, address: '127.0.0.1' },
      status: { capacity: { cpu: 4000, memory: 8 * Gi }, allocatable: { cpu: 4000, memory: 8 * Gi }, conditions: [ready] },
    }))
    await Promise.all([store.create(site), ...nodes.map((n) => store.create(n))])
  }
  const apps = new Cache<App>(store, 'App')
  const sites = new Cache<Site>(store, 'Site')
  const nodes = new Cache<Node>(store, 'Node')
  const instances = new Cache<Instance>(store, 'Instance')
  await Promise.all([apps.start(), sites.start(), nodes.start(), instances.start()])
  const events = new EventRecorder({ store, clock, log, component: 'bench' })
  const c = new AppController({ store, clock, log, events, apps, sites, nodes, instances })
  c.start()
  for (let a = 0; a < APPS; a++) await store.create(app(`bg-${String(a).padStart(3, '0')}`, REPLICAS, a % 3 === 0 ? 10 : 0))
  await store.create(app('target', TARGET, 5, SPREAD))
  await idle(c)
  const setupMs = performance.now() - t0

  const lat: number[] = []
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const s = performance.now()
    await c.reconcile('bench/target')
    const dt = performance.now() - s
    if (r >= WARMUP) lat.push(dt)
    await idle(c)
  }
  lat.sort((x, y) => x - y)
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]
  const fmt = (x: number) => x.toFixed(2)
  console.log(`bench/scheduler/controller: ${SITES.toLocaleString('en-US')} sites × ${PER_SITE} nodes, ${APPS} apps × ${REPLICAS} replicas + 1 of ${TARGET} (${instances.size.toLocaleString('en-US')} instances)`)
  console.log(`  machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}; set-up ${Math.round(setupMs)} ms`)
  console.log(`  reconcile of one app (${RUNS} runs after ${WARMUP} warm-up): p50 ${fmt(q(0.5))} ms, p99 ${fmt(q(0.99))} ms, max ${fmt(lat[lat.length - 1])} ms`)
  console.log(JSON.stringify({ bench: 'controller', sites: SITES, nodes: SITES * PER_SITE, instances: instances.size, runs: RUNS, p50Ms: +q(0.5).toFixed(3), p99Ms: +q(0.99).toFixed(3), maxMs: +lat[lat.length - 1].toFixed(3) }))
  c.stop()
  events.stop()
  for (const x of [apps, sites, nodes, instances]) x.stop()
  await store.close()
}

await main()
