// buildSnapshot: what the scheduler learns from the caches: prices, readiness times of nodes and
// sites (for failover and the return dwell), instance readiness, age and their app's priority.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance, Node, Site } from '../../src/api/kinds/index.js'
import type { Cache } from '../../src/store/cache.js'
import { buildSnapshot, nodeInfo } from '../../src/controllers/snapshot.js'
import { appObj, instanceObj, nodeObj, siteObj } from './helpers.js'

const ms = (iso: string) => Date.parse(iso)

function cache<T extends { metadata: { name: string; namespace?: string } }>(items: T[]): Cache<any> {
  return { list: () => items, get: (ns: string | undefined, name: string) => items.find((i) => i.metadata.name === name && (ns === undefined || i.metadata.namespace === ns)) } as unknown as Cache<any>
}

function node(name: string, site: string, ready: boolean, changed: string, created = '2026-01-01T00:00:00.000Z'): Node {
  const n = nodeObj(name, site, { ready })
  n.metadata.creationTimestamp = created
  n.status!.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: changed }]
  return n
}

test('snapshot: node readiness times; a node Ready since it joined has no return dwell', () => {
  assert.equal(nodeInfo(node('n', 's', false, '2026-01-01T10:00:00.000Z')).notReadySince, ms('2026-01-01T10:00:00.000Z'))
  assert.equal(nodeInfo(node('n', 's', true, '2026-01-01T10:00:00.000Z')).readySince, ms('2026-01-01T10:00:00.000Z'), 'back after an outage')
  assert.equal(nodeInfo(node('n', 's', true, '2026-01-01T00:00:30.000Z')).readySince, undefined, 'Ready 30s after joining')
  const never = nodeObj('n', 's', { status: false })
  never.metadata.creationTimestamp = '2026-01-01T00:00:00.000Z'
  assert.equal(nodeInfo(never).notReadySince, ms('2026-01-01T00:00:00.000Z'), 'never reported: NotReady since created')
})

test('snapshot: sites get price and readiness from their nodes; instances get readiness, age and priority', () => {
  const sites: Site[] = [siteObj('a', { pricePerCpuHour: 0.04 }), siteObj('b'), siteObj('c')]
  const nodes: Node[] = [
    node('a1', 'a', false, '2026-01-01T10:00:00.000Z'), node('a2', 'a', false, '2026-01-01T10:05:00.000Z'),
    node('b1', 'b', true, '2026-01-01T11:00:00.000Z'), node('b2', 'b', true, '2026-01-01T11:02:00.000Z'),
    node('c1', 'c', true, '2026-01-01T11:00:00.000Z'), node('c2', 'c', true, '2026-01-01T00:00:10.000Z'),
  ]
  const apps: App[] = [appObj('live', { priority: 100 }), appObj('batch')]
  const i1: Instance = instanceObj('live-1', 'b1', 'b', { app: 'live' })
  i1.metadata.creationTimestamp = '2026-01-01T12:00:00.000Z'
  i1.status = { phase: 'Running', ready: true, restarts: 0, node: 'b1', site: 'b', endpoints: {} }
  const i2: Instance = instanceObj('batch-1', 'b1', 'b', { app: 'batch' })
  const snap = buildSnapshot({ sites: cache(sites), nodes: cache(nodes), instances: cache([i1, i2]), apps: cache(apps) })
  const [a, b, c] = snap.sites
  assert.deepEqual([a.price, a.notReadySince, a.readySince], [0.04, ms('2026-01-01T10:05:00.000Z'), undefined], 'down since its last node went')
  assert.deepEqual([b.notReadySince, b.readySince], [undefined, ms('2026-01-01T11:00:00.000Z')], 'back since its first node returned')
  assert.equal(c.readySince, undefined, 'a node Ready since it joined: the site never went away')
  assert.deepEqual(snap.instances.map((i) => [i.name, i.priority, i.ready, i.createdAt]), [
    ['live-1', 100, true, ms('2026-01-01T12:00:00.000Z')],
    ['batch-1', undefined, false, undefined],
  ])
  // Without the app cache, no priorities (as before).
  assert.equal(buildSnapshot({ sites: cache(sites), nodes: cache(nodes), instances: cache([i1]) }).instances[0].priority, undefined)
})
