// A session app's pools replanned site by site: a pool change replans only its site, anything else
// (or FULL_EVERY_MS passing) a full reconcile, and a rollout in progress always a full one. The
// pool sizes come from a planner the test sets (the controller's PoolPlanner contract); the
// bookkeeping (PoolChanges) on a manual clock.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance } from '../../src/api/kinds/index.js'
import { ManualClock } from '../../src/lib/clock.js'
import { AppController, type PoolPlanner } from '../../src/controllers/app-controller.js'
import { FULL_EVERY_MS, PoolChanges } from '../../src/controllers/app/pool-changes.js'
import { appObj, fleet, log, markReady, nodeObj, settle, siteObj, template, type Fleet } from './helpers.js'

test('pool changes: one site alone after a full reconcile, until something else changes or a full one is due', () => {
  const clock = new ManualClock()
  const ch = new PoolChanges(clock)
  ch.pool('ns/a', 's1')
  assert.equal(ch.take('ns/a', true), undefined, 'never reconciled in full: a full reconcile first')
  ch.pool('ns/a', 's1')
  ch.pool('ns/a', 's2')
  assert.deepEqual([...ch.take('ns/a', true)!], ['s1', 's2'])
  assert.equal(ch.take('ns/a', true), undefined, 'nothing pending (a requeue): full')
  ch.pool('ns/a', 's1')
  assert.equal(ch.take('ns/a', false), undefined, 'the app does not allow it (a rollout): full')
  ch.pool('ns/a', 's1')
  ch.full('ns/a')
  assert.equal(ch.take('ns/a', true), undefined, 'something else changed: full')
  clock.advance(FULL_EVERY_MS - 1)
  ch.pool('ns/a', 's3')
  assert.deepEqual([...ch.take('ns/a', true)!], ['s3'])
  assert.equal(ch.fullDueInMs('ns/a'), 1)
  clock.advance(1)
  ch.pool('ns/a', 's3')
  assert.equal(ch.take('ns/a', true), undefined, 'a full reconcile is due')
  ch.pool('ns/b', 's1')
  assert.equal(ch.take('ns/b', true), undefined, 'per app')
})

interface Setup extends Fleet { c: AppController; want: Map<string, number>; asked: string[]; settle: () => Promise<void>; bySite: () => Promise<Record<string, number>>; app: () => Promise<App> }

/** Sites a, b, c with a node each, a session app whose pools want one instance each, all ready. */
async function setup(t: TestContext): Promise<Setup> {
  const f = await fleet(t)
  for (const s of ['a', 'b', 'c']) {
    await f.store.create(siteObj(s))
    await f.store.create(nodeObj(`${s}-1`, s))
  }
  const want = new Map([['a', 1], ['b', 1], ['c', 1]])
  const asked: string[] = []
  const pools: PoolPlanner = {
    poolSites: () => ['a', 'b', 'c'],
    isPoolSite: (_app, site) => want.has(site),
    desired: (_app, site) => { asked.push(site); return want.get(site) ?? 0 },
    removable: () => [],
  }
  const c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, pools })
  c.start()
  t.after(() => c.stop())
  await f.store.create(appObj('game', { template: template({ ports: [{ name: 'ws', protocol: 'tcp' }] }), sessions: { slotsPerInstance: 1 } as never }))
  const s: Setup = {
    ...f, c, want, asked,
    settle: () => settle(f.store, [c.queue]),
    bySite: async () => {
      const out: Record<string, number> = {}
      for (const i of (await f.store.list<Instance>('Instance')).items) out[i.spec.site] = (out[i.spec.site] ?? 0) + 1
      return out
    },
    app: async () => (await f.store.get<App>('App', 'default', 'game'))!,
  }
  await s.settle()
  for (const i of (await f.store.list<Instance>('Instance')).items) await markReady(f.store, i)
  await s.settle()
  const st = (await s.app()).status!
  assert.equal(st.lastGoodRevision, st.revision, 'settled: no rollout under way')
  return s
}

test('session app: a pool change replans its site alone; status and the other sites follow at the next full reconcile', async (t) => {
  const s = await setup(t)
  assert.deepEqual(await s.bySite(), { a: 1, b: 1, c: 1 })
  s.want.set('a', 2)
  s.want.set('b', 2)
  s.asked.length = 0
  s.c.poolChanged('default/game', 'a')
  await s.settle()
  assert.deepEqual(await s.bySite(), { a: 2, b: 1, c: 1 }, 'only the changed site was replanned')
  assert.ok(s.asked.length > 0 && s.asked.every((x) => x === 'a'), `asked about ${s.asked.join(',')}`)
  assert.equal((await s.app()).status!.replicas, 3, 'status waits for the full reconcile')
  s.clock.advance(FULL_EVERY_MS)
  await s.settle()
  assert.deepEqual(await s.bySite(), { a: 2, b: 2, c: 1 }, 'the full reconcile fixes every site')
  assert.equal((await s.app()).status!.replicas, 5)
})

test('session app: anything but a pool change reconciles in full at once; so does a pool change during a rollout', async (t) => {
  const s = await setup(t)
  s.want.set('c', 2)
  const app = await s.app()
  await s.store.update({ ...app, metadata: { ...app.metadata, labels: { team: 'games' } } })
  await s.settle()
  assert.deepEqual(await s.bySite(), { a: 1, b: 1, c: 2 }, 'an app change: every site replanned without waiting')

  // A new template: a rollout starts; pool changes are planned in full while it is under way.
  const cur = await s.app()
  await s.store.update({ ...cur, spec: { ...cur.spec, template: template({ command: 'game-v2', ports: [{ name: 'ws', protocol: 'tcp' }] }) } })
  await s.settle()
  s.want.set('b', 2)
  s.asked.length = 0
  s.c.poolChanged('default/game', 'a')
  await s.settle()
  assert.deepEqual(new Set(s.asked), new Set(['a', 'b', 'c']), 'a full reconcile')
  assert.equal((await s.bySite()).b, 2)
})
