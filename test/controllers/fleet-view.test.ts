// FleetView: the app controller's FleetIndex, kept from the cache events, holds after every change
// what a fresh FleetIndex.from(buildSnapshot(caches)) holds (every instance at revision `*`), and
// schedule() plans the same from both: node readiness (and its site's), site labels, instances
// coming and going, an app's priority, nodes leaving and joining another site, sites deleted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance, Node, Site } from '../../src/api/kinds/index.js'
import { isoNow } from '../../src/lib/clock.js'
import { buildSnapshot } from '../../src/controllers/snapshot.js'
import { ANY_REVISION, FleetView } from '../../src/controllers/app/fleet-view.js'
import { FleetIndex, usedOf } from '../../src/scheduler/fleet.js'
import { schedule } from '../../src/scheduler/schedule.js'
import { appObj, fleet, instanceObj, markReady, nodeObj, settle, siteObj, template, type Fleet } from './helpers.js'

const APPS = ['default/web', 'default/batch', 'default/live']

function dump(ix: FleetIndex) {
  return {
    sites: ix.sites().map((r) => ({
      info: r.info, aggregates: r.aggregates(),
      nodes: r.sortedNodes().map((n) => ({ info: n.info, used: usedOf(n), on: ix.instancesOn(n.info.name).map((i) => i.name) })),
    })),
    // A site no Site object names yet: its nodes are in the fleet all the same.
    orphan: ix.nodesIn('x').map((n) => n.info),
    instances: APPS.map((k) => ix.instancesOf(k)),
    count: ix.instanceCount,
  }
}

function fresh(f: Fleet): FleetIndex {
  const snap = buildSnapshot(f)
  snap.instances = snap.instances.map((p) => ({ ...p, revision: ANY_REVISION }))
  return FleetIndex.from(snap)
}

async function check(f: Fleet, view: FleetView, what: string): Promise<void> {
  await settle(f.store)
  const want = fresh(f)
  assert.deepEqual(dump(view.index), dump(want), what)
  // A high-priority app that needs more than the free room: placement, failover and preemption all read the fleet.
  const live = f.apps.get('default', 'live')!
  const req = { app: live, appKey: 'default/live', revision: ANY_REVISION, now: f.clock.now(), recentPreemptions: 0 }
  assert.deepEqual(schedule(view.index, req), schedule(want, req), `${what}: the same plan`)
}

async function update<T extends Node | Site | App>(f: Fleet, kind: T['kind'], namespace: string | undefined, name: string, fn: (o: T) => void, status = false): Promise<void> {
  const cur = structuredClone((await f.store.get<T>(kind, namespace, name))!)
  fn(cur)
  await f.store.update(cur, status ? { subresource: 'status' } : {})
}

test('fleet view: the index kept from cache events equals one built afresh, change after change', async (t) => {
  const f = await fleet(t)
  for (const s of ['a', 'b', 'c']) {
    await f.store.create(siteObj(s, s === 'a' ? { pricePerCpuHour: 0.05, geo: { lat: 48.8, lon: 2.3 } } : {}))
    for (const k of [0, 1]) await f.store.create(nodeObj(`${s}-n${k}`, s, { cpu: 1000, memory: 2 * 1024 ** 3 }))
  }
  await f.store.create(nodeObj('x-n0', 'x', { cpu: 1000 }))
  await f.store.create(appObj('web', { replicas: 4 }))
  await f.store.create(appObj('batch', { replicas: 6, priority: 1 }))
  await f.store.create(appObj('live', { replicas: 8, priority: 50, template: template({ resources: { cpu: '400m', memory: '128Mi' } }) }))
  const big = template({ resources: { cpu: '300m', memory: '256Mi' } })
  for (let k = 0; k < 6; k++) await f.store.create(instanceObj(`batch-${k}`, `${'abc'[k % 3]}-n${k % 2}`, 'abc'[k % 3], { app: 'batch', template: big }))
  for (let k = 0; k < 4; k++) await f.store.create(instanceObj(`web-${k}`, `${'ab'[k % 2]}-n0`, 'ab'[k % 2], { revision: k ? 'r1' : 'r2' }))
  await settle(f.store)

  const view = new FleetView(f)
  view.attach()
  assert.equal(view.attach(), view.index, 'attached once')
  await check(f, view, 'initial')

  // A node goes NotReady (now), then its whole site; one comes back.
  f.clock.advance(60_000)
  const setReady = (name: string, ready: boolean) => update<Node>(f, 'Node', undefined, name, (n) => {
    n.status!.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'AgentConnected' : 'LinkClosed', lastTransitionTime: isoNow(f.clock) }]
  }, true)
  await setReady('a-n0', false)
  await check(f, view, 'a node NotReady')
  f.clock.advance(10_000)
  await setReady('a-n1', false)
  await check(f, view, 'its site NotReady')
  f.clock.advance(120_000)
  await setReady('a-n0', true)
  await check(f, view, 'a node back')

  // Site relabelled and cordoned; a node cordoned.
  await update<Site>(f, 'Site', undefined, 'b', (s) => { s.metadata.labels = { zone: 'z1' }; s.spec.unschedulable = true })
  await check(f, view, 'site relabelled and cordoned')
  await update<Node>(f, 'Node', undefined, 'c-n1', (n) => { n.spec.unschedulable = true })
  await check(f, view, 'node cordoned')

  // Instances come, get ready, go.
  await f.store.create(instanceObj('web-9', 'c-n0', 'c'))
  await check(f, view, 'instance added')
  await markReady(f.store, (await f.store.get<Instance>('Instance', 'default', 'web-9'))!)
  await check(f, view, 'instance ready')
  await f.store.delete('Instance', 'default', 'batch-2')
  await check(f, view, 'instance deleted')
  await f.store.create(instanceObj('live-0', 'x-n0', 'x', { app: 'live' }))
  await check(f, view, 'instance on a node of a site not in the fleet')

  // An app's priority changes; an app goes and comes back (its instances stay).
  await update<App>(f, 'App', 'default', 'batch', (a) => { a.spec.priority = 90 })
  await check(f, view, 'priority raised')
  await update<App>(f, 'App', 'default', 'batch', (a) => { a.spec.priority = 0 })
  await check(f, view, 'priority dropped to 0')
  await f.store.delete('App', 'default', 'web')
  await f.store.create(appObj('web', { replicas: 4, priority: 7 }))
  await check(f, view, 'app re-created with a priority')

  // The orphan site appears; a node leaves and joins another site; a site with nodes is deleted.
  await f.store.create(siteObj('x'))
  await check(f, view, 'site of an orphan node created')
  const moved = (await f.store.get<Node>('Node', undefined, 'c-n0'))!
  await f.store.delete('Node', undefined, 'c-n0')
  await check(f, view, 'node deleted (its instances wait for it)')
  await f.store.create({ ...moved, metadata: { name: 'c-n0', labels: {} }, spec: { ...moved.spec, site: 'b' } })
  await check(f, view, 'node back in another site')
  await f.store.delete('Site', undefined, 'a')
  await check(f, view, 'site deleted, nodes left')
  await f.store.create(siteObj('a'))
  await check(f, view, 'site back')
})
