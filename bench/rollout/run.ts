// bench/rollout: time from `apply` of a new revision of an App to every site running it (ready, the
// old instance gone), with a fleet of hollow sites (src/sim: the real link protocol, a simulated
// runtime: an instance is Running 200 ms after it is placed and ready 500 ms later) against a real
// `edgeplane server` process (SQLite), measured from outside.
//
//   npx tsx bench/rollout/run.ts [--sites 100] [--nodes-per-site 1] [--seed 1] [--strategy both]
//       [--soak 5] [--max-concurrent-sites N] [--no-traffic] [--timeout-minutes 30] [--cpu-prof DIR] [--verbose]
//
// Setup: an App with replicas = sites, spread by site (one instance per site), deployed and ready at
// its first revision. Then each strategy is one template change (an env var), measured:
//   fast: spec.rollout { waves: [100], maxConcurrentSites: sites, soakSeconds: 0 } — propagation, with
//         the one gate every rollout has: the canary site (the first by name) must be ready first;
//   safe: the canary site, then 10 %, 50 %, 100 % of the sites, soakSeconds --soak (default 5), at most
//         --max-concurrent-sites updating at once (default: no limit inside a wave) — wave overhead.
// Figures: the time until 50 %, 99 % and 100 % of sites run the new revision, ready, with no instance
// of an older one (seen at the sites: the hollow nodes' own state), and until the server says
// status.rollout.phase is Succeeded (seen through a watch of the App). The load average is printed
// beside every figure: the simulator runs in this process and shares the machine's cores with the server.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { App, Node } from '../../src/api/kinds/index.js'
import { getCondition } from '../../src/api/meta.js'
import { createLogger } from '../../src/lib/log.js'
import { ensureFileLimit } from '../../src/sim/limits.js'
import { startFleet, type Fleet } from '../../src/sim/index.js'
import {
  adminClient, configureWaits, cpuPct, KindWatch, load, MiB, printTable, sample, secs, sleep, startServerProc, stopServer,
  timeToFraction, until, V1, type ServerProc,
} from '../lib/server.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const num = (name: string, def: number): number => Number(opt(name, String(def)))
const SITES = num('sites', 100)
const PER_SITE = num('nodes-per-site', 1)
const SEED = opt('seed', '1')
const STRATEGY = opt('strategy', 'both')
const SOAK = num('soak', 5)
const MAX_CONCURRENT = num('max-concurrent-sites', SITES)
const TRAFFIC = !argv.includes('--no-traffic')
const TIMEOUT_MS = num('timeout-minutes', 30) * 60_000
const CPU_PROF = opt('cpu-prof', '')
const VERBOSE = argv.includes('--verbose')
const NODES = SITES * PER_SITE
const APP = 'wave'
const HOST = 'wave.edge.test'
const log = createLogger('bench', 'silent')
const dir = mkdtempSync(join(tmpdir(), 'ep-bench-rollout-'))

if (!['fast', 'safe', 'both'].includes(STRATEGY)) throw new Error('--strategy is fast, safe or both')

const STRATEGIES = {
  fast: { waves: [100], maxConcurrentSites: SITES, soakSeconds: 0 },
  safe: { waves: [10, 50, 100], maxConcurrentSites: MAX_CONCURRENT, soakSeconds: SOAK },
} as const

function waveApp(rollout: object, generation: number) {
  return {
    apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: APP },
    spec: {
      replicas: SITES, placement: { spread: { by: 'site' } }, rollout,
      ...(TRAFFIC ? { traffic: { host: HOST, port: 'http' } } : {}),
      template: { command: 'sleep', args: ['86400'], ports: [{ name: 'http' }], resources: { cpu: '100m', memory: '64Mi' }, env: { WAVE: String(generation) } },
    },
  }
}

interface AppView { revision: string; lastGood: string; phase: string; rolloutRevision: string; wave: number; waves: number; ready: number; updated: number }
const appView = (a: App): AppView => ({
  revision: a.status?.revision ?? '', lastGood: a.status?.lastGoodRevision ?? '', phase: a.status?.rollout?.phase ?? '',
  rolloutRevision: a.status?.rollout?.revision ?? '', wave: a.status?.rollout?.wave ?? 0, waves: a.status?.rollout?.waves.length ?? 0,
  ready: a.status?.readyReplicas ?? 0, updated: a.status?.availableReplicas ?? 0,
})
const nodeReady = (n: Node) => getCondition(n.status?.conditions, 'Ready')?.status === 'True'

/** What a site runs of the app, from its hollow nodes: done when every instance is new and ready. */
function siteDone(fleet: Fleet, site: string, old: ReadonlySet<string>): boolean {
  let n = 0
  for (const node of fleet.nodesOf(site)) {
    for (const i of node.instanceStates()) {
      if (i.app !== APP) continue
      if (old.has(i.revision) || !i.ready) return false
      n++
    }
  }
  return n > 0
}

const result: Record<string, any> = {
  bench: 'rollout', sites: SITES, nodesPerSite: PER_SITE, nodes: NODES, seed: SEED, traffic: TRAFFIC, cpus: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString(),
  simRuntime: { startDelayMs: 200, readyDelayMs: 500 }, runs: {} as Record<string, unknown>,
}
let server: ServerProc | undefined
let fleet: Fleet | undefined
const watches: KindWatch<unknown>[] = []
configureWaits({ verbose: VERBOSE, progress: () => fleet?.summary() ?? '' })

async function main(): Promise<void> {
  const lim = ensureFileLimit(NODES + 2048)
  if (lim.raised) console.error(`bench: raised this process's open-file limit to ${lim.limit?.soft} (needed ~${NODES + 2048})`)
  if (lim.problem) throw new Error(lim.problem)
  if (CPU_PROF) mkdirSync(CPU_PROF, { recursive: true })

  server = await startServerProc({ dataDir: join(dir, 'server'), listen: '127.0.0.1:0', links: NODES, cpuProfDir: CPU_PROF || undefined })
  const { http } = adminClient(server.url, join(dir, 'server'))
  const api = adminClient(server.url, join(dir, 'server')).http
  const join_ = (await http.request('POST', '/v1/tokens', { type: 'join', maxUses: NODES, gateway: true })) as { token: string }
  const nodes = new KindWatch<boolean>(http, `${V1}/nodes`, nodeReady)
  const apps = new KindWatch<AppView>(http, `${V1}/namespaces/default/apps?fieldSelector=${encodeURIComponent(`metadata.name=${APP}`)}`, appView)
  watches.push(nodes as KindWatch<unknown>, apps as KindWatch<unknown>)
  nodes.start()
  apps.start()
  const readyNodes = () => { let n = 0; for (const v of nodes.items.values()) if (v) n++; return n }
  const app = () => apps.items.get(APP)
  const apply = (body: object) => api.request('PATCH', `${V1}/namespaces/default/apps/${APP}`, body, undefined, 'application/apply-patch+yaml')

  console.log(`edgeplane rollout bench: ${SITES} sites × ${PER_SITE} node(s), seed ${SEED}, strategy ${STRATEGY}${TRAFFIC ? ', app with a traffic host' : ''}; ${cpus().length} CPUs, node ${process.version}; load ${load()}`)

  // Setup: the fleet, then the app at its first revision, everywhere, ready.
  const t0 = performance.now()
  fleet = await startFleet({ server: server.url, joinToken: join_.token, sites: SITES, nodesPerSite: PER_SITE, seed: SEED, log, wait: 'started', dataDir: join(dir, 'sim') })
  await until('every link up', () => fleet!.stats().connected === NODES, TIMEOUT_MS)
  await until('every Node Ready', () => readyNodes() === NODES, TIMEOUT_MS, 100)
  result.connectS = secs(performance.now() - t0)
  console.log(`setup: ${NODES} nodes connected and Ready in ${result.connectS} s; load ${load()}`)
  await sleep(Math.min(20_000, 2000 + NODES))

  const t1 = performance.now()
  let generation = 1
  await apply(waveApp(STRATEGIES.fast, generation))
  await until('revision 1 ready everywhere', () => {
    const a = app()
    return !!a && a.phase === 'Succeeded' && a.lastGood === a.revision && a.ready === SITES
  }, TIMEOUT_MS, 100, () => ({ app: app(), fleet: fleet!.summary() }))
  result.firstDeployS = secs(performance.now() - t1)
  console.log(`setup: revision 1 on ${SITES} sites, ready, in ${result.firstDeployS} s; load ${load()}`)
  await sleep(Math.min(15_000, 2000 + SITES))

  for (const name of STRATEGY === 'both' ? ['fast', 'safe'] as const : [STRATEGY as 'fast' | 'safe']) {
    const before = app()!
    const old = new Set([before.revision])
    generation++
    const pending = new Set(fleet.siteNames)
    const done: number[] = []
    // When each wave finished: status.rollout.wave moves past it (the last one ends with the rollout).
    const waveAt: number[] = []
    let waves = 0
    let tc = 0
    apps.onChange = (_n, _p, next) => {
      if (!next || !next.rolloutRevision || old.has(next.rolloutRevision) || !tc) return
      if (VERBOSE) console.error(`  app: ${JSON.stringify(next)} at ${secs(performance.now() - tc)} s`)
      // Once Succeeded, a later status shows the revision as deployed everywhere (one wave, "all").
      if (next.phase !== 'Succeeded' || !waves) waves = Math.max(waves, next.waves)
      for (let w = 0; w < next.wave; w++) waveAt[w] ??= performance.now() - tc
    }
    const s0 = sample(server.proc.pid!)
    const b0 = sample(process.pid)
    const load0 = load()
    tc = performance.now()
    await apply(waveApp(STRATEGIES[name], generation))
    const applyMs = performance.now() - tc
    // Sites are checked until each is done (and only those left), so the poll gets cheaper as it goes.
    const tAll = await until(`every site on the new revision (${name})`, () => {
      const now = performance.now() - tc
      for (const s of pending) if (siteDone(fleet!, s, old)) { pending.delete(s); done.push(now) }
      return pending.size === 0
    }, TIMEOUT_MS, 20, () => ({ left: pending.size, app: app() })) - tc
    const tSucceeded = await until(`rollout Succeeded (${name})`, () => {
      const a = app()
      return !!a && !old.has(a.rolloutRevision) && a.rolloutRevision !== '' && a.phase === 'Succeeded'
    }, TIMEOUT_MS, 20, () => ({ app: app() })) - tc
    const final = app()!
    for (let w = 0; w < waves; w++) waveAt[w] ??= tSucceeded
    apps.onChange = () => undefined
    const s1 = sample(server.proc.pid!)
    const b1 = sample(process.pid)
    const run = {
      strategy: STRATEGIES[name], revision: final.rolloutRevision, from: [...old][0], waves,
      applyResponseMs: Math.round(applyMs),
      sitesP50S: secs(timeToFraction(done, SITES, 0.5)), sitesP99S: secs(timeToFraction(done, SITES, 0.99)), sitesAllS: secs(tAll),
      succeededS: secs(tSucceeded), wavesDoneS: waveAt.map(secs),
      serverCpuS: secs(s1.cpuMs - s0.cpuMs), serverCpuPct: +cpuPct(s0, s1).toFixed(0), serverPeakRssMiB: MiB(s1.hwm), simCpuPct: +cpuPct(b0, b1).toFixed(0),
      loadBefore: load0, loadAfter: load(),
    }
    result.runs[name] = run
    console.log(`${name}: ${SITES} sites on the new revision: 50% ${run.sitesP50S} s, 99% ${run.sitesP99S} s, 100% ${run.sitesAllS} s; rollout Succeeded ${run.succeededS} s` +
      `${run.waves > 1 ? ` (waves done at ${run.wavesDoneS.join(', ')} s)` : ''}; server CPU ${run.serverCpuS} s (${run.serverCpuPct}%); load ${run.loadAfter}`)
    if (name === 'fast' && STRATEGY === 'both') await sleep(Math.min(15_000, 2000 + SITES))
  }

  result.serverPeakRssMiB = MiB(sample(server.proc.pid!).hwm)
  result.simRssMiB = MiB(sample(process.pid).rss)
  result.loadAtEnd = load()
  report()
  console.log(JSON.stringify(result))
}

function report(): void {
  const rows: string[][] = []
  for (const [name, r] of Object.entries(result.runs) as [string, any][]) {
    const st = r.strategy
    const what = name === 'fast' ? `fast (waves [100], ${st.maxConcurrentSites} at once, soak 0)` : `safe (canary, 10/50/100%, ${st.maxConcurrentSites >= SITES ? 'no limit' : `${st.maxConcurrentSites}`} at once, soak ${st.soakSeconds} s)`
    rows.push([what, `${r.sitesP50S} / ${r.sitesP99S} / ${r.sitesAllS} s`, `${r.succeededS} s`, `${r.serverCpuS} s`, r.loadAfter, name === 'fast' ? 'Karmada: distribution p99 1.3 s at 100 clusters' : ''])
  }
  printTable(['rollout to every site', '50% / 99% / 100% of sites new+ready, old gone', 'phase Succeeded', 'server CPU', 'load avg', 'published anchor (not re-run)'], rows)
}

async function cleanup(): Promise<void> {
  for (const w of watches) w.stop()
  await fleet?.stop().catch(() => undefined)
  // SIGINT lets a profiled server write its profile.
  await stopServer(server?.proc, !!CPU_PROF)
  rmSync(dir, { recursive: true, force: true })
  setTimeout(() => process.exit(), 500).unref()
}

process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)) })
main().then(cleanup, async (err) => { console.error(err); console.error(server?.stderr().slice(-3000)); await cleanup(); process.exitCode = 1 })
