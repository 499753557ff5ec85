// The server's image distribution without sockets: the tree (central caches proxy the center, edge
// caches the nearest central cache), what each node is told, tree order (an edge site is asked once
// its central parent holds the image), per-site states from the fetching node's reports, a cache
// that is not on its node's address ignored, a cache lost, and wishes withdrawn. ash's is the root
// cache (the first central one by name): fra's proxies it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ImagesMessage } from '../../../src/api/link.js'
import type { Site } from '../../../src/api/kinds/index.js'
import { ImageDistribution } from '../../../src/server/images/distribution.js'
import { parentOf } from '../../../src/server/images/tree.js'

const CENTER = 'http://10.0.0.1:5000'
const IMG = '10.0.0.1:5000/demo/app@sha256:' + 'b'.repeat(64)
const site = (name: string, tier: 'edge' | 'central', lat: number, lon: number) => ({ apiVersion: 'edgeplane.io/v1', kind: 'Site', metadata: { name }, spec: { region: name, provider: 'p', tier, geo: { lat, lon } } }) as Site
const SITES = new Map([
  site('fra', 'central', 50.1, 8.7), site('ash', 'central', 39.0, -77.5),
  site('paris', 'edge', 48.9, 2.4), site('nyc', 'edge', 40.7, -74.0), site('tokyo', 'edge', 35.7, 139.7),
].map((s) => [s.metadata.name, s]))

const flush = () => new Promise<void>((r) => queueMicrotask(r))

function setup() {
  const sent = new Map<string, ImagesMessage>()
  const warnings: unknown[] = []
  const d = new ImageDistribution({
    log: { warn: (o: unknown) => warnings.push(o), info() {}, debug() {}, error() {} } as never,
    centralRegistry: CENTER, site: (n) => SITES.get(n), send: (node, msg) => { sent.set(node, msg); return true }, batchMs: 0,
  })
  const up = (node: string, s: string, address: string, cache?: string) => d.linkUp(node, s, { address, ...(cache ? { registryCache: { address: cache, healthy: true } } : {}) })
  up('fra-1', 'fra', '10.1.0.1', '10.1.0.1:5001')
  up('ash-1', 'ash', '10.2.0.1', '10.2.0.1:5001')
  up('paris-1', 'paris', '10.3.0.1', '10.3.0.1:5001')
  up('paris-2', 'paris', '10.3.0.2')
  up('nyc-1', 'nyc', '10.4.0.1', '10.4.0.1:5001')
  up('tokyo-1', 'tokyo', '10.5.0.1', '10.9.9.9:5001') // claims a cache on another host: ignored
  return { d, sent, warnings }
}

test('the tree: the root central cache proxies the center, the other central caches the root, edge caches the nearest central cache; every node pulls through its site\'s cache', async () => {
  const { sent, warnings } = setup()
  await flush()
  const doc = (n: string) => { const { version: _v, t: _t, ...rest } = sent.get(n)!; return rest }
  assert.deepEqual(doc('ash-1'), { central: CENTER, mirror: '10.2.0.1:5001', parent: CENTER, pull: [] })
  assert.deepEqual(doc('fra-1'), { central: CENTER, mirror: '10.1.0.1:5001', parent: 'http://10.2.0.1:5001', pull: [] })
  assert.deepEqual(doc('paris-1'), { central: CENTER, mirror: '10.3.0.1:5001', parent: 'http://10.1.0.1:5001', pull: [] })
  assert.deepEqual(doc('paris-2'), { central: CENTER, mirror: '10.3.0.1:5001', pull: [] }, 'a node without a cache only pulls through its site\'s')
  assert.deepEqual(doc('nyc-1'), { central: CENTER, mirror: '10.4.0.1:5001', parent: 'http://10.2.0.1:5001', pull: [] })
  assert.deepEqual(doc('tokyo-1'), { central: CENTER, mirror: '10.1.0.1:5001', pull: [] }, 'a cache on another host than the node is not used: the site pulls through the nearest central cache')
  assert.equal(warnings.length, 1)
  // Pure tree: no central cache at all → the center; a central site never proxies another.
  assert.deepEqual(parentOf({ name: 'x', tier: 'edge' }, [], CENTER), { url: CENTER })
  const centrals = [{ name: 'c', tier: 'central' as const, cache: 'h:1' }, { name: 'd', tier: 'central' as const, cache: 'h:2' }]
  assert.deepEqual(parentOf(centrals[0], centrals, CENTER), { url: CENTER }, 'the root')
  assert.deepEqual(parentOf(centrals[1], centrals, CENTER), { url: 'http://h:1', site: 'c' })
  assert.throws(() => new ImageDistribution({ log: {} as never, centralRegistry: 'registry.test:5000', site: () => undefined, send: () => true }), /use http:\/\/HOST:PORT/)
})

test('tree order: the root first, then a central site, then an edge site below it; states come from the fetching node', async () => {
  const { d, sent } = setup()
  const changes: string[] = []
  d.onChange((s) => changes.push(s))
  d.want('default/app', new Map([['paris', [IMG]], ['tokyo', [IMG]]]))
  await flush()
  assert.deepEqual(sent.get('ash-1')!.pull, [IMG], 'the root warms first')
  assert.deepEqual(sent.get('fra-1')!.pull, [])
  assert.match(d.state('fra', IMG)!.message!, /waiting for the cache of ash/)
  d.imageStatus('ash-1', [{ image: IMG, state: 'present' }])
  await flush()
  assert.deepEqual(sent.get('fra-1')!.pull, [IMG], 'then the central parent of paris')
  assert.deepEqual(sent.get('paris-1')!.pull, [])
  assert.deepEqual(sent.get('tokyo-1')!.pull, [], 'a site without a cache pulls through its parent: after it too')
  assert.match(d.state('paris', IMG)!.message!, /waiting for the cache of fra/)
  assert.equal(d.state('nyc', IMG), undefined, 'not asked of nyc')

  d.imageStatus('fra-1', [{ image: IMG, state: 'present' }])
  await flush()
  assert.deepEqual(sent.get('paris-1')!.pull, [IMG], 'asked once fra holds it')
  assert.deepEqual(sent.get('paris-2')!.pull, [], 'one node fetches for the site: its cache node')
  assert.deepEqual(sent.get('tokyo-1')!.pull, [IMG], 'a site without a cache: its first node fetches')
  assert.deepEqual(d.state('paris', IMG), { state: 'pulling', message: 'asked; waiting for the site to report' })
  d.imageStatus('paris-2', [{ image: IMG, state: 'present' }])
  await flush()
  assert.equal(d.state('paris', IMG)!.state, 'pulling', 'only the fetching node speaks for the site')
  d.imageStatus('paris-1', [{ image: IMG, state: 'failed', message: 'disk full' }])
  await flush()
  assert.deepEqual(d.state('paris', IMG), { state: 'failed', message: 'disk full' })
  d.imageStatus('paris-1', [{ image: IMG, state: 'present' }])
  await flush()
  assert.deepEqual(d.state('paris', IMG), { state: 'present' })
  assert.ok(changes.includes('paris') && changes.includes('fra'))

  // The cache node goes away: the site has no mirror, its other node fetches.
  d.linkDown('paris-1')
  await flush()
  const p2 = sent.get('paris-2')!
  assert.equal(p2.mirror, '10.1.0.1:5001', 'the site now pulls through its parent\'s cache')
  assert.deepEqual(p2.pull, [IMG])
  assert.deepEqual(d.state('paris', IMG), { state: 'present' }, 'paris-2 speaks for the site now (it reported the image earlier)')

  // Wishes withdrawn: nothing to fetch any more.
  const v = p2.version
  d.want('default/app', new Map())
  await flush()
  assert.deepEqual(sent.get('paris-2')!.pull, [])
  assert.ok(sent.get('paris-2')!.version > v)
  assert.equal(d.state('paris', IMG), undefined)
})
