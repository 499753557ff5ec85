// The site cache for real: a central docker-registry, a counting relay in front of it, the agent's
// RegistryCache (the real docker-registry as a pull-through cache) and podman pulls from simulated
// nodes (each its own podman storage) through registries.conf as the agent writes it. Two nodes of a
// site fetch the image from the parent once; a central tier between center and edge keeps the
// center's egress at the central cache's one fetch; the cache comes back after dying and after an
// agent restart; a pull that cannot succeed is a "failed" state with podman's reason, retried with
// backoff. Outside CI, a missing docker-registry or podman skips these tests; with CI=true they fail.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryCache } from '../../../src/agent/images/registry-cache.js'
import { Prepuller, podmanRunner } from '../../../src/agent/images/prepuller.js'
import { writeRegistriesConf } from '../../../src/agent/images/registries-conf.js'
import type { ImagePullReport, RegistryCacheState } from '../../../src/api/link.js'
import { ManualClock, systemClock } from '../../../src/lib/clock.js'
import { CountingRelay, buildAndPush, freePort, missingTools, podmanStorage, startRegistry, type RunningRegistry } from './harness.js'

const missing = missingTools()
const skip = missing && process.env.CI !== 'true' ? missing : false
const silent = { info() {}, warn() {}, error() {}, debug() {} } as never

let dir: string
let center: RunningRegistry
let relay: CountingRelay
let image: { ref: string; bytes: number }
const caches: RegistryCache[] = []

before(async () => {
  if (skip) return
  if (missing) throw new Error(missing)
  dir = mkdtempSync(join(tmpdir(), 'ep-site-cache-'))
  center = await startRegistry(join(dir, 'center'))
  const [h, p] = center.host.split(':')
  relay = new CountingRelay({ host: h, port: Number(p) })
  await relay.start()
  image = await buildAndPush({ dir: join(dir, 'build'), host: center.host, name: 'demo/blob', layerBytes: 2 << 20 })
})

after(async () => {
  for (const c of caches) await c.stop()
  await relay?.stop()
  await center?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function startCache(name: string, parent: string, o: { initialMs?: number } = {}): Promise<{ cache: RegistryCache; host: string; states: RegistryCacheState[] }> {
  const host = `127.0.0.1:${await freePort()}`
  const states: RegistryCacheState[] = []
  const cache = new RegistryCache({
    listen: host, dataDir: join(dir, name), clock: systemClock, log: silent, onState: (s) => states.push(s),
    backoff: { initialMs: o.initialMs ?? 1000, maxMs: 5000, resetAfterMs: 60_000 },
  })
  caches.push(cache)
  cache.start()
  cache.setParent(parent)
  await until(() => cache.state.healthy, `cache ${name} healthy`)
  return { cache, host, states }
}

/** A node: its own podman storage and the registries.conf the agent writes for its site. */
function node(name: string, mirror: string | undefined, clock = systemClock as ManualClock | typeof systemClock) {
  const conf = join(dir, name, 'registries.conf')
  writeRegistriesConf(conf, { central: center.url, ...(mirror ? { mirror } : {}) })
  const reports: ImagePullReport[][] = []
  const puller = new Prepuller({
    clock, log: silent, onChange: (r) => reports.push(r),
    podman: podmanRunner({ globalArgs: podmanStorage(join(dir, name)), env: () => ({ ...process.env, CONTAINERS_REGISTRIES_CONF: conf }) }),
    backoff: { initialMs: 5000, maxMs: 60_000, resetAfterMs: Infinity },
  })
  return { puller, reports, pull: async (ref: string) => { puller.setWanted([ref]); await until(() => puller.reports()[0]?.state !== 'pulling', `${name} pulled`, 120_000); return puller.reports()[0] } }
}

async function until(ok: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('two nodes of a site pull through its cache: the parent serves the image once', { skip, timeout: 180_000 }, async () => {
  const { cache, host } = await startCache('site-a-cache', relay.url)
  const before = relay.bytesOut
  const n1 = node('site-a-n1', host)
  assert.deepEqual(await n1.pull(image.ref), { image: image.ref, state: 'present' })
  const afterFirst = relay.bytesOut - before
  // The image went through the cache to the parent (not around it, straight to the center).
  assert.ok(afterFirst >= image.bytes, `the parent sent ${afterFirst} bytes for an image of ${image.bytes}`)
  const getsAfterFirst = relay.totalBlobGets()
  const n2 = node('site-a-n2', host)
  assert.deepEqual(await n2.pull(image.ref), { image: image.ref, state: 'present' })
  assert.equal(relay.totalBlobGets(), getsAfterFirst, 'the second node fetched no blob from the parent')
  assert.ok(relay.bytesOut - before - afterFirst < 16 * 1024, `the second node cost the parent ${relay.bytesOut - before - afterFirst} bytes`)
  // distribution's proxy fetches a missed blob twice (one copy stored, one streamed): ≤ 2× + headers.
  assert.ok(afterFirst <= 2 * image.bytes + 64 * 1024, `first pull cost ${afterFirst} bytes (image ${image.bytes})`)

  // The registry dies: the agent restarts it, with its storage: a third node still costs nothing upstream.
  const pid = Number(readFileSync(join(dir, 'site-a-cache', 'registry-cache', 'pid'), 'utf8'))
  process.kill(pid, 'SIGKILL')
  await until(() => !cache.state.healthy, 'the cache seen down')
  assert.match(cache.state.message ?? '', /exited \(SIGKILL\).*restarting in/)
  await until(() => cache.state.healthy, 'the cache back')
  const n3 = node('site-a-n3', host)
  assert.equal((await n3.pull(image.ref)).state, 'present')
  assert.equal(relay.totalBlobGets(), getsAfterFirst)
})

test('after an agent restart the cache serves with the parent it kept on disk (no server needed)', { skip, timeout: 120_000 }, async () => {
  const { cache, host } = await startCache('site-b-cache', relay.url)
  await node('site-b-n1', host).pull(image.ref)
  await cache.stop()
  const again = new RegistryCache({ listen: host, dataDir: join(dir, 'site-b-cache'), clock: systemClock, log: silent })
  caches.push(again)
  assert.equal(again.parentUrl, relay.url)
  again.start()
  await until(() => again.state.healthy, 'restarted cache healthy')
  const gets = relay.totalBlobGets()
  assert.equal((await node('site-b-n2', host).pull(image.ref)).state, 'present')
  assert.equal(relay.totalBlobGets(), gets)
})

test('a central tier: edge caches fetch from the central cache, the center sends the image to it alone', { skip, timeout: 180_000 }, async () => {
  const other = await buildAndPush({ dir: join(dir, 'build2'), host: center.host, name: 'demo/tiered', layerBytes: 2 << 20 })
  const startBytes = relay.bytesOut
  const central = await startCache('central-cache', relay.url)
  // Tree order (the server asks an edge site only once its parent has the image): central first.
  assert.equal((await node('central-n1', central.host).pull(other.ref)).state, 'present')
  const edges = await Promise.all(['edge-1', 'edge-2', 'edge-3'].map((e) => startCache(`${e}-cache`, `http://${central.host}`)))
  const results = await Promise.all(edges.map((e, i) => node(`edge-${i}-n1`, e.host).pull(other.ref)))
  assert.deepEqual(results.map((r) => r.state), ['present', 'present', 'present'])
  const egress = (relay.bytesOut - startBytes) / other.bytes
  assert.ok(egress >= 1 && egress <= 2.1, `center egress ${egress.toFixed(2)}× the image for 4 sites`)
})

test('a pull that cannot succeed is "failed" with podman\'s reason and is retried with backoff', { skip, timeout: 120_000 }, async () => {
  const clock = new ManualClock()
  const { host } = await startCache('site-c-cache', relay.url)
  const n = node('site-c-n1', host, clock)
  const unknown = `${center.host}/demo/blob@sha256:${'0'.repeat(64)}`
  const r = await n.pull(unknown)
  assert.equal(r.state, 'failed')
  assert.match(r.message!, /manifest unknown|not found|unknown/i)
  assert.match(r.message!, /attempt 1; retrying in 5s/)
  const runs = n.reports.length
  clock.advance(5000)
  await until(() => n.reports.length > runs + 1 && n.puller.reports()[0].state === 'failed', 'the retry')
  assert.match(n.puller.reports()[0].message!, /attempt 2; retrying in 10s/)
  n.puller.stop()

  // The registry is down (nothing listens on the mirror nor the center's port).
  const dead = `127.0.0.1:${await freePort()}`
  const conf = join(dir, 'site-d', 'registries.conf')
  writeRegistriesConf(conf, { central: `http://${dead}`, mirror: `127.0.0.1:${await freePort()}` })
  const p = new Prepuller({ clock, log: silent, podman: podmanRunner({ globalArgs: podmanStorage(join(dir, 'site-d')), env: () => ({ ...process.env, CONTAINERS_REGISTRIES_CONF: conf }) }) })
  p.setWanted([`${dead}/demo/blob@sha256:${'1'.repeat(64)}`])
  await until(() => p.reports()[0].state === 'failed', 'the pull from a dead registry')
  assert.match(p.reports()[0].message!, /connection refused/i)
  p.stop()
})
