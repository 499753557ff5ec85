// What a hello writes: the Site (created from the agent's flags, never rewriting an operator's) and
// the Node (address, labels; a node cannot move to another site); conflicts are retried.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, isApiError } from '../../src/api/errors.js'
import type { Node, Site } from '../../src/api/kinds/index.js'
import type { HelloMessage } from '../../src/api/link.js'
import { REGISTERED_BY, registerNode, registerSite, retryConflicts } from '../../src/server/link/registration.js'
import { openStore } from '../../src/store/open.js'
import { siteObj } from '../controllers/helpers.js'

function hello(over: Partial<HelloMessage> = {}): HelloMessage {
  return {
    t: 'hello', node: 'n1', address: '127.0.0.5', capacity: { cpu: 2000, memory: 1024 },
    site: { name: 'edge-1', region: 'eu', provider: 'own', tier: 'edge', geo: { lat: 48.1, lon: 11.6 }, labels: { city: 'munich' } },
    labels: { disk: 'ssd' }, desiredVersion: 0, agent: { version: '0.1.0', pid: 1 }, ...over,
  }
}

test('registration: a new site is created from the hello, marked as registered by the agent', async () => {
  const store = openStore({ driver: 'memory' })
  await registerSite(store, hello())
  const s = (await store.get<Site>('Site', undefined, 'edge-1'))!
  assert.deepEqual(s.spec, { region: 'eu', provider: 'own', tier: 'edge', geo: { lat: 48.1, lon: 11.6 } })
  assert.deepEqual(s.metadata.labels, { city: 'munich', 'edgeplane.io/region': 'eu', 'edgeplane.io/provider': 'own', 'edgeplane.io/tier': 'edge' })
  assert.equal(s.metadata.annotations?.[REGISTERED_BY], 'agent')

  const rev = await store.revision()
  await registerSite(store, hello())
  assert.equal(await store.revision(), rev, 'the same hello again writes nothing')

  await registerSite(store, hello({ site: { ...hello().site, region: 'eu-2' } }))
  const s2 = (await store.get<Site>('Site', undefined, 'edge-1'))!
  assert.equal(s2.spec.region, 'eu-2')
  assert.equal(s2.metadata.labels?.['edgeplane.io/region'], 'eu-2')
})

test('registration: an operator-declared site is not rewritten by agents', async () => {
  const store = openStore({ driver: 'memory' })
  await store.create(siteObj('edge-1', { region: 'operator-region' }))
  const rev = await store.revision()
  await registerSite(store, hello())
  assert.equal(await store.revision(), rev)
  assert.equal((await store.get<Site>('Site', undefined, 'edge-1'))!.spec.region, 'operator-region')
})

test('registration: the node is created, then updated when its address or labels change', async () => {
  const store = openStore({ driver: 'memory' })
  await registerNode(store, hello())
  let n = (await store.get<Node>('Node', undefined, 'n1'))!
  assert.deepEqual(n.spec, { site: 'edge-1', address: '127.0.0.5' })
  assert.deepEqual(n.metadata.labels, { disk: 'ssd', 'edgeplane.io/site': 'edge-1' })
  const rev = await store.revision()
  await registerNode(store, hello())
  assert.equal(await store.revision(), rev)
  await registerNode(store, hello({ address: '127.0.0.6', labels: { gpu: 'yes' } }))
  n = (await store.get<Node>('Node', undefined, 'n1'))!
  assert.equal(n.spec.address, '127.0.0.6')
  assert.deepEqual(n.metadata.labels, { disk: 'ssd', 'edgeplane.io/site': 'edge-1', gpu: 'yes' })
})

test('registration: a node cannot move to another site', async () => {
  const store = openStore({ driver: 'memory' })
  await registerNode(store, hello())
  await assert.rejects(registerNode(store, hello({ site: { ...hello().site, name: 'edge-2' } })), (err) => {
    assert.ok(isApiError(err, 'Forbidden'))
    assert.match(err.message, /node "n1" belongs to site "edge-1", not "edge-2"/)
    return true
  })
})

test('registration: retryConflicts retries conflicts a few times, and nothing else', async () => {
  let calls = 0
  assert.equal(await retryConflicts(async () => { if (++calls < 3) throw new ApiError('Conflict', 'x'); return 'ok' }), 'ok')
  assert.equal(calls, 3)
  calls = 0
  await assert.rejects(retryConflicts(async () => { calls++; throw new ApiError('AlreadyExists', 'x') }, 4), (e) => isApiError(e, 'AlreadyExists'))
  assert.equal(calls, 4)
  calls = 0
  await assert.rejects(retryConflicts(async () => { calls++; throw new ApiError('Invalid', 'x') }), (e) => isApiError(e, 'Invalid'))
  assert.equal(calls, 1)
})

test('registration: two hellos for a new site racing each other both succeed', async () => {
  const store = openStore({ driver: 'memory' })
  await Promise.all([registerSite(store, hello()), registerSite(store, hello({ node: 'n2' }))])
  assert.equal((await store.list('Site')).items.length, 1)
})

test('registration: with the server\'s caches, an unchanged hello reads nothing from the store, and a stale cache costs only a retry', async () => {
  const store = openStore({ driver: 'memory' })
  await registerSite(store, hello())
  await registerNode(store, hello())
  const site = (await store.get<Site>('Site', undefined, 'edge-1'))!
  const node = (await store.get<Node>('Node', undefined, 'n1'))!
  let reads = 0
  const get = store.get.bind(store)
  store.get = (async (...args: Parameters<typeof store.get>) => { reads++; return get(...args) }) as typeof store.get
  const rev = await store.revision()
  await registerSite(store, hello(), { site: () => site })
  await registerNode(store, hello(), { node: () => node })
  assert.equal(reads, 0, 'a known, unchanged site and node are not read again')
  assert.equal(await store.revision(), rev)

  // The node's address changed; the cache still holds the version before an operator's label edit.
  await store.update({ ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, team: 'a' } } })
  await registerNode(store, hello({ address: '127.0.0.9' }), { node: () => node })
  const n = (await store.get<Node>('Node', undefined, 'n1'))!
  assert.equal(n.spec.address, '127.0.0.9')
  assert.equal(n.metadata.labels?.team, 'a', 'the retry read the store and kept the edit the cache had not seen')
})
