// Image distribution end to end on loopback, all real: a central docker-registry (behind a counting
// relay that measures the center's egress), a server with --central-registry, agents that run site
// caches (real docker-registry children) and pre-pull with podman (each node its own storage). The
// server names each cache's parent over the link; asked for two edge sites, the central site's
// cache fetches the image from the center once and the edge caches fetch from it; a second node of a
// site pulls from its site cache without touching the center, also with the server stopped; an image
// that cannot be fetched is a failed state with podman's reason, up the tree.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from '../../src/server/server.js'
import { startAgent, type RunningAgent } from '../../src/agent/agent.js'
import { Prepuller, podmanRunner } from '../../src/agent/images/prepuller.js'
import { createLogger } from '../../src/lib/log.js'
import { CountingRelay, buildAndPush, freePort, missingTools, podmanStorage, startRegistry } from '../agent/images/harness.js'

const missing = missingTools()
const skip = missing && process.env.CI !== 'true' ? missing : false

async function until(ok: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('a server names the tree; the central cache fetches once for two edge sites; nodes pull from their site cache, server or not', { skip, timeout: 240_000 }, async (t) => {
  if (missing) throw new Error(missing)
  const dir = mkdtempSync(join(tmpdir(), 'ep-image-dist-'))
  const log = createLogger('test', 'silent')
  const center = await startRegistry(join(dir, 'center'))
  const [h, p] = center.host.split(':')
  const relay = new CountingRelay({ host: h, port: Number(p) })
  await relay.start()
  const agents: RunningAgent[] = []
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  t.after(async () => {
    for (const a of agents) await a.stop().catch(() => undefined)
    await server?.close().catch(() => undefined)
    await relay.stop()
    await center.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  // Image references name the registry the sites know as central: the relay in front of it.
  const image = await buildAndPush({ dir: join(dir, 'build'), host: relay.host, name: 'demo/app', layerBytes: 3 << 20 })
  relay.bytesOut = 0
  relay.blobGets.clear()

  server = await startServer({ dataDir: join(dir, 'server'), listen: '127.0.0.1:0', tls: { mode: 'off' }, log, centralRegistry: relay.url, dnsListen: undefined })
  const { token } = await server.tokens.createJoinToken()
  const agent = async (name: string, site: string, tier: 'edge' | 'central', geo: { lat: number; lon: number }, cache: boolean) => {
    const a = await startAgent({
      server: server!.url, joinToken: token, dataDir: join(dir, name), name, address: '127.0.0.1', log,
      site: { name: site, region: site, provider: 'test', tier, geo },
      ...(cache ? { registryCache: `127.0.0.1:${await freePort()}` } : {}),
      podmanArgs: podmanStorage(join(dir, name, 'podman')),
    })
    agents.push(a)
    return a
  }
  await agent('fra-1', 'fra', 'central', { lat: 50.1, lon: 8.7 }, true)
  await agent('paris-1', 'paris', 'edge', { lat: 48.9, lon: 2.4 }, true)
  await agent('paris-2', 'paris', 'edge', { lat: 48.9, lon: 2.4 }, false)
  await agent('lyon-1', 'lyon', 'edge', { lat: 45.8, lon: 4.8 }, true)
  const conf = (node: string) => { try { return readFileSync(join(dir, node, 'registries.conf'), 'utf8') } catch { return '' } }
  const fraCache = () => /location = "(127\.0\.0\.1:\d+)"/.exec(conf('fra-1').split('[[registry.mirror]]')[1] ?? '')?.[1]
  // The server told each cache its parent: fra's proxies the center, paris's and lyon's proxy fra's.
  await until(() => !!fraCache() && readFileSync(join(dir, 'paris-1', 'registry-cache', 'parent'), 'utf8').trim() === `http://${fraCache()}`, 'the tree over the link')
  assert.equal(readFileSync(join(dir, 'fra-1', 'registry-cache', 'parent'), 'utf8').trim(), relay.url)
  await until(() => /\[\[registry\.mirror\]\]/.test(conf('paris-2')), 'paris-2 told of its site cache')
  assert.match(conf('paris-2'), new RegExp(`prefix = "${relay.host}"`))

  server.images.want('test/app', new Map([['paris', [image.ref]], ['lyon', [image.ref]]]))
  await until(() => server!.images.state('paris', image.ref)?.state === 'present' && server!.images.state('lyon', image.ref)?.state === 'present', 'the image present at both edge sites', 180_000)
  assert.deepEqual(server.images.state('fra', image.ref), { state: 'present' }, 'the central parent was warmed first')
  const egress = relay.bytesOut / image.bytes
  assert.ok(egress >= 1 && egress <= 2.1, `center egress ${egress.toFixed(2)}× the image for 3 sites (fra, paris, lyon)`)

  // The second node of paris pulls from its site's cache: nothing more leaves the center.
  const gets = relay.totalBlobGets()
  const node2 = (storage: string) => new Prepuller({ clock: { now: Date.now, setTimeout: (fn, ms) => { const x = setTimeout(fn, ms); return { cancel: () => clearTimeout(x) } } }, log, podman: podmanRunner({ globalArgs: podmanStorage(join(dir, storage)), env: () => ({ ...process.env, CONTAINERS_REGISTRIES_CONF: join(dir, 'paris-2', 'registries.conf') }) }) })
  const pull2 = node2('paris-2-runtime')
  pull2.setWanted([image.ref])
  await until(() => pull2.reports()[0]?.state === 'present', 'paris-2 pulls')
  assert.equal(relay.totalBlobGets(), gets)

  // An image the center does not have: failed at fra with podman's reason, and so at the sites below it.
  const unknown = `${relay.host}/demo/app@sha256:${'0'.repeat(64)}`
  server.images.want('test/bad', new Map([['lyon', [unknown]]]))
  await until(() => server!.images.state('lyon', unknown)?.state === 'failed', 'the failed fetch reported')
  assert.match(server.images.state('lyon', unknown)!.message!, /^the cache of fra \(the site's parent\) could not fetch it: .*(manifest unknown|not found)/i)
  server.images.want('test/bad', new Map())

  // The server goes away: the site cache keeps serving its nodes.
  await server.close()
  server = undefined
  const pull3 = node2('paris-3-runtime')
  pull3.setWanted([image.ref])
  await until(() => pull3.reports()[0]?.state === 'present', 'a pull with the server down')
  pull2.stop(); pull3.stop()
  assert.equal(relay.totalBlobGets(), gets)
})
