// bench/images/hollow: the distribution tree at fleet scale with hollow sites (src/sim: the real link
// protocol, simulated pulls). A real server (in this process, SQLite) with --central-registry; every
// hollow site advertises a healthy cache on its first node; a hollow pull takes --pull-ms. The server
// builds the real tree (root central cache, central caches, edge caches below the nearest central),
// asks the sites in tree order, and aggregates their reports. Counted: copies of the image taken from
// the central registry itself (a cache's miss costs its parent 2 copies: distribution's pull-through
// cache fetches a missed blob twice, as measured with real registries in bench/images/egress.ts), and
// the time from the ask to "present" at every site asked.
//
//   npx tsx bench/images/hollow.ts [--sites 1000] [--pull-ms 2000] [--seed 1] [--rollout] [--soak 10]
//
// --rollout: instead of asking every site at once, an App (runtime container, one instance per site)
// is deployed, then its image is changed with waves [10, 50, 100] (soak --soak s): printed, the time
// from that apply to "image present at every site of wave N" and to the rollout's success.
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startServer } from '../../src/server/server.js'
import { startFleet } from '../../src/sim/index.js'
import { createLogger } from '../../src/lib/log.js'
import type { App } from '../../src/api/kinds/index.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const SITES = Number(opt('sites', '1000'))
const PULL_MS = Number(opt('pull-ms', '2000'))
const SEED = opt('seed', '1')
const IMAGE = 'center.test:5000/bench/app@sha256:' + 'd'.repeat(64)
const say = (s: string) => process.stdout.write(`${s}\n`)
const dir = mkdtempSync(join(tmpdir(), 'ep-bench-hollow-images-'))
const log = createLogger('bench', 'silent')

const server = await startServer({ dataDir: join(dir, 'server'), listen: '127.0.0.1:0', tls: { mode: 'off' }, log, centralRegistry: 'http://center.test:5000' })
let fleet: Awaited<ReturnType<typeof startFleet>> | undefined
try {
  const { token } = await server.tokens.createJoinToken({ maxUses: SITES * 2 })
  let t = performance.now()
  fleet = await startFleet({ server: server.url, joinToken: token, sites: SITES, seed: SEED, log, runtime: { registryCache: true, pullDelayMs: PULL_MS }, waitTimeoutMs: 600_000 })
  const sites = fleet.world.map((s) => s.registration)
  const central = sites.filter((s) => s.tier === 'central').length
  say(`${SITES} hollow sites up (${central} central, ${SITES - central} edge, each with a cache) in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  // Let the server tell every node its tree (parents, mirrors).
  await new Promise((r) => setTimeout(r, 2000))

  if (argv.includes('--rollout')) { await rollout(server, sites.map((x) => x.name)); process.exitCode = 0 } else {
  const asked = sites.map((s) => s.name)
  const presentAt = new Map<string, number>()
  server.images.onChange((site, img) => { if (img === IMAGE && server.images.state(site, img)?.state === 'present' && !presentAt.has(site)) presentAt.set(site, performance.now()) })
  const load0 = loadavg()[0].toFixed(1)
  t = performance.now()
  server.images.want('bench/app', new Map(asked.map((s) => [s, [IMAGE]])))
  const deadline = Date.now() + 10 * 60_000
  while (!asked.every((s) => presentAt.has(s))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${asked.filter((s) => !presentAt.has(s)).length} site(s) without the image`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const depth = central >= 2 ? 3 : central === 1 ? 2 : 1
  const times = asked.map((s) => (presentAt.get(s)! - t) / 1000).sort((a, b) => a - b)
  const q = (f: number) => times[Math.min(times.length - 1, Math.ceil(f * times.length) - 1)]
  say(`center egress (modelled): ${fleet.counters.centerCopies} copies of the image for ${SITES} sites (naive: ${SITES}); hollow pulls: ${fleet.counters.imagePulls}`)
  say(`present at every site ${times[times.length - 1].toFixed(2)} s after the ask (p50 ${q(0.5).toFixed(2)} s, p99 ${q(0.99).toFixed(2)} s; a hollow pull is ${PULL_MS} ms and the tree is up to ${depth} level(s) deep: ≥ ${(depth * PULL_MS / 1000).toFixed(1)} s); load average ${load0} → ${loadavg()[0].toFixed(1)} (2 cores, shared with other work)`)
  }
} finally {
  await fleet?.stop()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}

/** Deploys an App on every site, changes its image with waves, and times each wave's image and the rollout. */
async function rollout(srv: typeof server, siteNames: string[]): Promise<void> {
  const SOAK = Number(opt('soak', '10'))
  const IMG1 = 'center.test:5000/bench/web@sha256:' + '1'.repeat(64), IMG2 = 'center.test:5000/bench/web@sha256:' + '2'.repeat(64)
  const template = (image: string) => ({ runtime: 'container', image, ports: [{ name: 'http', protocol: 'tcp' }], stopGracePeriodSeconds: 1 })
  const get = async () => (await srv.store.get<App>('App', 'default', 'web'))!
  await srv.store.create({ apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: siteNames.length, placement: { spread: { by: 'site' }, maxPerSite: 1 }, template: template(IMG1), rollout: { waves: [10, 50, 100], soakSeconds: SOAK, maxConcurrentSites: siteNames.length } } } as never)
  const end = Date.now() + 10 * 60_000
  while ((await get()).status?.lastGoodRevision === undefined) { if (Date.now() > end) throw new Error('first deployment not done'); await new Promise((r) => setTimeout(r, 200)) }
  say(`deployed on ${siteNames.length} sites`)
  const presentAt = new Map<string, number>()
  srv.images.onChange((site, img) => { if (img === IMG2 && srv.images.state(site, img)?.state === 'present' && !presentAt.has(site)) presentAt.set(site, performance.now()) })
  const cur = await get()
  const t0 = performance.now()
  await srv.store.update({ ...cur, spec: { ...cur.spec, template: template(IMG2) } } as never)
  let app = await get()
  const before = cur.status?.rollout?.revision
  while (app.status?.rollout?.revision === before || app.status?.rollout?.phase !== 'Succeeded') {
    if (Date.now() > end) throw new Error(`rollout not done: ${app.status?.rollout?.message}`)
    await new Promise((r) => setTimeout(r, 100))
    app = await get()
  }
  const done = (performance.now() - t0) / 1000
  app.status!.rollout!.waves.forEach((w, i) => {
    const at = Math.max(...w.sites.map((x) => presentAt.get(x.site) ?? NaN))
    say(`wave ${i + 1} (${w.name}, ${w.sites.length} site(s)): image present at every site ${((at - t0) / 1000).toFixed(2)} s after the apply`)
  })
  say(`rollout Succeeded ${done.toFixed(1)} s after the apply (soak ${SOAK} s per wave; the next wave fetches while the current one soaks)`)
}
