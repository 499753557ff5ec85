// bench/images: what it costs the center to ship one image to many sites, and how long until every
// site holds it. All real, on loopback: a central docker-registry behind a counting relay (every
// byte that leaves the center is counted there), an `edgeplane server` (in this process) with
// --central-registry, and one agent per site (in this process) that runs the site's cache (a real
// docker-registry child) and pre-pulls with podman (each site its own podman storage).
//
//   npx tsx bench/images/egress.ts [--sites 5] [--central 1] [--mb 50] [--no-caches] [--keep]
//
// --sites: edge sites; --central: central sites (with caches, the tier between center and edge);
// --no-caches: the naive baseline (no caches anywhere: every site pulls from the center).
// The image is built offline: one layer of --mb MiB of random bytes (podman build from a local file).
// Measured from the server's ask (what a rollout does when a wave comes due: ImageDistribution.want
// for every site) to "present" at every site (each site's fetching node reported it, over the link).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startServer } from '../../src/server/server.js'
import { startAgent, type RunningAgent } from '../../src/agent/agent.js'
import { createLogger } from '../../src/lib/log.js'
import { CountingRelay, buildAndPush, freePort, missingTools, podmanStorage, startRegistry } from '../../test/agent/images/harness.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const SITES = Number(opt('sites', '5'))
const CENTRAL = argv.includes('--no-caches') ? 0 : Number(opt('central', '1'))
const MB = Number(opt('mb', '50'))
const CACHES = !argv.includes('--no-caches')

const missing = missingTools()
if (missing) { console.error(missing); process.exit(2) }
const dir = mkdtempSync(join(tmpdir(), 'ep-bench-images-'))
const log = createLogger('bench', 'silent')
const say = (s: string) => process.stdout.write(`${s}\n`)
const load = () => loadavg()[0].toFixed(1)

const center = await startRegistry(join(dir, 'center'))
const [h, p] = center.host.split(':')
const relay = new CountingRelay({ host: h, port: Number(p) })
await relay.start()
const agents: RunningAgent[] = []
let server: Awaited<ReturnType<typeof startServer>> | undefined
try {
  let t = performance.now()
  const image = await buildAndPush({ dir: join(dir, 'build'), host: relay.host, name: 'bench/blob', layerBytes: MB << 20 })
  say(`image ${image.ref}: ${(image.bytes / 2 ** 20).toFixed(1)} MiB to move (built and pushed in ${((performance.now() - t) / 1000).toFixed(1)} s)`)
  relay.bytesOut = 0
  relay.blobGets.clear()

  server = await startServer({ dataDir: join(dir, 'server'), listen: '127.0.0.1:0', tls: { mode: 'off' }, log, centralRegistry: relay.url })
  const { token } = await server.tokens.createJoinToken()
  const sites: { name: string; tier: 'edge' | 'central'; geo: { lat: number; lon: number } }[] = []
  for (let i = 0; i < CENTRAL; i++) sites.push({ name: `central-${i}`, tier: 'central', geo: { lat: 50 - i * 10, lon: 8 + i * 40 } })
  for (let i = 0; i < SITES; i++) sites.push({ name: `edge-${String(i).padStart(4, '0')}`, tier: 'edge', geo: { lat: 40 + (i % 20), lon: -10 + i * 1.7 } })
  t = performance.now()
  await Promise.all(sites.map(async (s) => {
    agents.push(await startAgent({
      server: server!.url, joinToken: token, dataDir: join(dir, s.name), name: `${s.name}-n1`, address: '127.0.0.1', log,
      site: { name: s.name, region: s.name, provider: 'bench', tier: s.tier, geo: s.geo },
      ...(CACHES ? { registryCache: `127.0.0.1:${await freePort()}` } : {}),
      podmanArgs: podmanStorage(join(dir, s.name, 'podman')),
    }))
  }))
  say(`${sites.length} sites up (${CENTRAL} central, ${SITES} edge; caches: ${CACHES ? 'yes' : 'no'}) in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  if (CACHES) {
    // Every site told its cache's parent and its mirror by the server (each node's registries.conf names its mirror).
    const told = (s: { name: string }) => { try { return readFileSync(join(dir, s.name, 'registries.conf'), 'utf8').includes('[[registry.mirror]]') } catch { return false } }
    const end = Date.now() + 120_000
    while (!sites.every(told)) {
      if (Date.now() > end) throw new Error('the sites were not told their caches within 120 s')
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  const edges = sites.filter((s) => s.tier === 'edge').map((s) => s.name)
  const presentAt = new Map<string, number>()
  server.images.onChange((site, img) => { if (img === image.ref && server!.images.state(site, img)?.state === 'present' && !presentAt.has(site)) presentAt.set(site, performance.now()) })
  const t0 = performance.now()
  const load0 = load()
  server.images.want('bench/app', new Map(edges.map((s) => [s, [image.ref]])))
  const deadline = Date.now() + 30 * 60_000
  const seenFailures = new Set<string>()
  for (;;) {
    for (const s of edges) {
      const st = server!.images.state(s, image.ref)
      if (st?.state === 'failed' && !seenFailures.has(`${s} ${st.message}`)) { seenFailures.add(`${s} ${st.message}`); say(`failed at ${s}: ${st.message}`) }
    }
    if (edges.every((s) => presentAt.has(s))) break
    if (Date.now() > deadline) throw new Error(`timed out: ${edges.filter((s) => !presentAt.has(s)).length} site(s) without the image`)
    await new Promise((r) => setTimeout(r, 100))
  }
  const times = edges.map((s) => (presentAt.get(s)! - t0) / 1000).sort((a, b) => a - b)
  const q = (f: number) => times[Math.min(times.length - 1, Math.ceil(f * times.length) - 1)]
  const ratio = relay.bytesOut / image.bytes
  say(`center egress: ${(relay.bytesOut / 2 ** 20).toFixed(1)} MiB = ${ratio.toFixed(2)}× the image for ${sites.length} sites (${edges.length} edge sites asked; naive: ${edges.length}×); blob GETs at the center: ${relay.totalBlobGets()}`)
  say(`image present at every edge site ${times[times.length - 1].toFixed(1)} s after the ask (p50 ${q(0.5).toFixed(1)} s, first ${times[0].toFixed(1)} s); load average ${load0} → ${load()} (2 cores, shared with other work)`)
} finally {
  for (const a of agents) await a.stop().catch(() => undefined)
  await server?.close().catch(() => undefined)
  await relay.stop()
  await center.stop()
  if (!argv.includes('--keep')) rmSync(dir, { recursive: true, force: true })
}
