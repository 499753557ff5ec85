// SiteStatusController: node counts and the capacity of the ready nodes, kept current from the caches.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Node, Site } from '../../src/api/kinds/index.js'
import { SiteStatusController } from '../../src/controllers/site-status.js'
import { fleet, Gi, log, nodeObj, settle, siteObj } from './helpers.js'

test('site status: nodes, readyNodes and the capacity of ready nodes only', async (t) => {
  const f = await fleet(t)
  await f.store.create(siteObj('a'))
  await f.store.create(siteObj('b'))
  await f.store.create(nodeObj('a1', 'a', { cpu: 4000, memory: 8 * Gi }))
  await f.store.create(nodeObj('a2', 'a', { cpu: 2000, memory: 4 * Gi }))
  await f.store.create(nodeObj('a3', 'a', { cpu: 8000, memory: 16 * Gi, ready: false }))
  await f.store.create(nodeObj('a4', 'a', { status: false })) // registered, never reported
  await f.store.create(nodeObj('b1', 'b', { cpu: 1000, memory: 1 * Gi }))
  const c = new SiteStatusController({ store: f.store, clock: f.clock, log, sites: f.sites, nodes: f.nodes })
  c.start()
  t.after(() => c.stop())
  await settle(f.store, [c.queue])
  const a = (await f.store.get<Site>('Site', undefined, 'a'))!
  assert.deepEqual(a.status, { nodes: 4, readyNodes: 2, capacity: { cpu: 6000, memory: 12 * Gi }, allocatable: { cpu: 6000, memory: 12 * Gi } })
  const b = (await f.store.get<Site>('Site', undefined, 'b'))!
  assert.deepEqual(b.status, { nodes: 1, readyNodes: 1, capacity: { cpu: 1000, memory: 1 * Gi }, allocatable: { cpu: 1000, memory: 1 * Gi } })

  // Idempotent: reconciling again writes nothing.
  const rev = await f.store.revision()
  await c.reconcile('a')
  c.queue.add('b')
  await settle(f.store, [c.queue])
  assert.equal(await f.store.revision(), rev)

  // A node turning NotReady, a node deleted, a node moving site: all reflected.
  const a1 = (await f.store.get<Node>('Node', undefined, 'a1'))!
  await f.store.update({ ...a1, status: nodeObj('a1', 'a', { ready: false }).status }, { subresource: 'status' })
  await f.store.delete('Node', undefined, 'a4')
  const b1 = (await f.store.get<Node>('Node', undefined, 'b1'))!
  await f.store.update({ ...b1, spec: { ...b1.spec, site: 'a' } })
  await settle(f.store, [c.queue])
  const a2 = (await f.store.get<Site>('Site', undefined, 'a'))!
  assert.deepEqual(a2.status, { nodes: 4, readyNodes: 2, capacity: { cpu: 3000, memory: 5 * Gi }, allocatable: { cpu: 3000, memory: 5 * Gi } })
  const b2 = (await f.store.get<Site>('Site', undefined, 'b'))!
  assert.deepEqual(b2.status, { nodes: 0, readyNodes: 0, capacity: { cpu: 0, memory: 0 }, allocatable: { cpu: 0, memory: 0 } })
})

test('site status: a site created after its nodes gets its status; conditions are kept', async (t) => {
  const f = await fleet(t)
  const c = new SiteStatusController({ store: f.store, clock: f.clock, log, sites: f.sites, nodes: f.nodes })
  c.start()
  t.after(() => c.stop())
  await f.store.create(nodeObj('x1', 'x', { cpu: 500, memory: Gi }))
  await settle(f.store, [c.queue])
  const site = siteObj('x')
  site.status = { nodes: 0, readyNodes: 0, capacity: { cpu: 0, memory: 0 }, allocatable: { cpu: 0, memory: 0 }, conditions: [{ type: 'Reachable', status: 'True' }] }
  await f.store.create(site)
  await settle(f.store, [c.queue])
  const x = (await f.store.get<Site>('Site', undefined, 'x'))!
  assert.equal(x.status?.readyNodes, 1)
  assert.deepEqual(x.status?.capacity, { cpu: 500, memory: Gi })
  assert.deepEqual(x.status?.conditions, [{ type: 'Reachable', status: 'True' }])
})
