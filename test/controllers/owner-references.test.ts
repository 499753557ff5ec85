// Instances and Revisions name their App in metadata.ownerReferences (kubectl describe and
// Kubernetes-aware tools follow them).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance, Revision } from '../../src/api/kinds/index.js'
import { AppController } from '../../src/controllers/app-controller.js'
import { Revisions } from '../../src/controllers/app/revisions.js'
import { Cache } from '../../src/store/cache.js'
import { appObj, fleet, log, nodeObj, settle, siteObj } from './helpers.js'

test('instances and revisions carry an ownerReference to their app', async (t) => {
  const f = await fleet(t)
  await f.store.create(siteObj('s0'))
  await f.store.create(nodeObj('s0-n0', 's0'))
  const c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances })
  c.start()
  t.after(() => c.stop())
  await f.store.create(appObj('web', { replicas: 2 }))
  await settle(f.store, [c.queue])
  const app = (await f.store.get<App>('App', 'default', 'web'))!
  const want = [{ apiVersion: 'edgeplane.io/v1', kind: 'App', name: 'web', uid: app.metadata.uid!, controller: true, blockOwnerDeletion: true }]
  const instances = (await f.store.list<Instance>('Instance')).items
  assert.equal(instances.length, 2)
  for (const i of instances) assert.deepEqual(i.metadata.ownerReferences, want)
  const cache = new Cache<Revision>(f.store, 'Revision')
  await cache.start()
  t.after(() => cache.stop())
  await new Revisions(f.store, cache).ensure(app, 'r1', [], 10)
  const revisions = (await f.store.list<Revision>('Revision')).items
  assert.equal(revisions.length, 1)
  for (const r of revisions) assert.deepEqual(r.metadata.ownerReferences, want)
})
