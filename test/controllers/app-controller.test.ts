// AppController against a memory store, watch-fed caches and a ManualClock: placement, status,
// idempotence, scaling, unschedulable apps, revision replacement, deletion and orphan clean-up.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { App, AppSpec, Instance } from '../../src/api/kinds/index.js'
import { getCondition } from '../../src/api/meta.js'
import { templateRevision } from '../../src/api/revision.js'
import { APP_LABEL, AppController, REVISION_LABEL } from '../../src/controllers/app-controller.js'
import type { Logger } from '../../src/lib/log.js'
import { appObj, eventsOf, fleet, instanceObj, log, markReady, nodeObj, settle, siteObj, template, type Fleet } from './helpers.js'

interface Setup extends Fleet {
  c: AppController
  settle: () => Promise<void>
  app: () => Promise<App>
  mine: (name?: string) => Promise<Instance[]>
  edit: (name: string, fn: (spec: AppSpec) => AppSpec) => Promise<void>
}

/** n sites s0..s(n-1), one ready node each (sX-n0), then a started controller. */
async function setup(t: TestContext, opts: { sites?: number; before?: (f: Fleet) => Promise<void>; nameSuffix?: () => string; log?: Logger } = {}): Promise<Setup> {
  const f = await fleet(t)
  for (let i = 0; i < (opts.sites ?? 3); i++) {
    await f.store.create(siteObj(`s${i}`))
    await f.store.create(nodeObj(`s${i}-n0`, `s${i}`))
  }
  await opts.before?.(f)
  const c = new AppController({ store: f.store, clock: f.clock, log: opts.log ?? log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, ...(opts.nameSuffix ? { nameSuffix: opts.nameSuffix } : {}) })
  c.start()
  t.after(() => c.stop())
  const s: Setup = {
    ...f, c,
    settle: () => settle(f.store, [c.queue]),
    app: async () => (await f.store.get<App>('App', 'default', 'web'))!,
    mine: async (name = 'web') => (await f.store.list<Instance>('Instance')).items.filter((i) => i.spec.app === name),
    edit: async (name, fn) => {
      const cur = (await f.store.get<App>('App', 'default', name))!
      await f.store.update({ ...cur, spec: fn(structuredClone(cur.spec)) })
    },
  }
  await s.settle()
  return s
}

function perSite(list: Instance[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of list) out[i.spec.site] = (out[i.spec.site] ?? 0) + 1
  return out
}

test('app controller: a new instance whose random name is taken is created under another name', async (t) => {
  // The first two draws collide (with each other, in one chunk of creates), the third does not.
  const draws = ['aaaaaaaa', 'aaaaaaaa', 'bbbbbbbb', 'cccccccc']
  const warnings: string[] = []
  const capture: Logger = Object.create(log, { warn: { value: (_obj: unknown, msg: string) => warnings.push(msg) } })
  const s = await setup(t, { sites: 2, nameSuffix: () => draws.shift()!, log: capture })
  await s.store.create(appObj('web', { replicas: 2 }))
  await s.settle()
  const names = (await s.mine()).map((i) => i.metadata.name).sort()
  assert.deepEqual(names, ['web-aaaaaaaa', 'web-bbbbbbbb'])
  assert.equal((await s.app()).status?.replicas, 2)
  assert.deepEqual(warnings, [], 'the reconcile did not fail on the taken name')
})

test('app controller: an App becomes spec.replicas Instances spread over the sites', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 5 }))
  await s.settle()
  const list = await s.mine()
  const rev = templateRevision(template())
  assert.equal(list.length, 5)
  assert.deepEqual(perSite(list), { s0: 2, s1: 2, s2: 1 })
  for (const i of list) {
    assert.equal(i.metadata.namespace, 'default')
    assert.deepEqual(i.metadata.labels, { [APP_LABEL]: 'web', [REVISION_LABEL]: rev })
    assert.equal(i.spec.app, 'web')
    assert.equal(i.spec.revision, rev)
    assert.equal(i.spec.node, `${i.spec.site}-n0`)
    assert.deepEqual(i.spec.template, template())
    assert.match(i.metadata.name, /^web-[0-9a-f]{8}$/)
  }
  const app = await s.app()
  assert.equal(app.status?.replicas, 5)
  assert.equal(app.status?.readyReplicas, 0)
  assert.equal(app.status?.updatedReplicas, 5)
  assert.equal(app.status?.observedGeneration, 1)
  assert.equal(app.status?.revision, rev)
  const scheduled = getCondition(app.status?.conditions, 'Scheduled')
  assert.equal(scheduled?.status, 'True')
  assert.equal(scheduled?.message, '5/5 replicas placed on 3 sites')
  assert.equal(getCondition(app.status?.conditions, 'Available')?.status, 'False')
  assert.deepEqual(app.status?.sites, [
    { site: 's0', replicas: 2, ready: 0, updated: 2, revision: rev },
    { site: 's1', replicas: 2, ready: 0, updated: 2, revision: rev },
    { site: 's2', replicas: 1, ready: 0, updated: 1, revision: rev },
  ])
  assert.equal(app.status?.rollout?.phase, 'Progressing', 'a first deployment goes straight to every site')
  const placed = (await eventsOf(s.store, 'web')).filter((e) => e.reason === 'Placed')
  assert.equal(placed.length, 5)
})

test('app controller: reconciling a settled App again writes nothing', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 4 }))
  await s.settle()
  const rev = await s.store.revision()
  const names = (await s.mine()).map((i) => i.metadata.name).sort()
  await s.c.reconcile('default/web')
  await s.c.reconcile('default/web')
  s.c.queue.add('default/web')
  await s.settle()
  assert.equal(await s.store.revision(), rev, 'no write at all: level-triggered and idempotent')
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name).sort(), names)
})

test('app controller: readiness shows in status and Available', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 2 }))
  await s.settle()
  for (const i of await s.mine()) await markReady(s.store, i)
  await s.settle()
  const app = await s.app()
  assert.equal(app.status?.readyReplicas, 2)
  const available = getCondition(app.status?.conditions, 'Available')
  assert.equal(available?.status, 'True')
  assert.equal(available?.message, '2/2 replicas ready')
  assert.deepEqual(app.status?.sites?.map((x) => x.ready), [1, 1])
})

test('app controller: scaling down removes instances, scaling up adds them back', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 6 }))
  await s.settle()
  assert.equal((await s.mine()).length, 6)
  await s.edit('web', (spec) => ({ ...spec, replicas: 2 }))
  await s.settle()
  const down = await s.mine()
  assert.equal(down.length, 2)
  assert.equal(new Set(down.map((i) => i.spec.site)).size, 2, 'still spread')
  const app = await s.app()
  assert.equal(app.status?.replicas, 2)
  assert.equal(app.status?.observedGeneration, 2)
  assert.ok((await eventsOf(s.store, 'web')).some((e) => e.reason === 'Removed'))
  await s.edit('web', (spec) => ({ ...spec, replicas: 3 }))
  await s.settle()
  assert.deepEqual(perSite(await s.mine()), { s0: 1, s1: 1, s2: 1 })
})

test('app controller: an unsatisfiable placement is reported as Scheduled=False with a Warning event', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 2, placement: { regions: ['nowhere'] } }))
  await s.settle()
  assert.equal((await s.mine()).length, 0)
  const app = await s.app()
  const cond = getCondition(app.status?.conditions, 'Scheduled')
  assert.equal(cond?.status, 'False')
  assert.equal(cond?.reason, 'Unschedulable')
  assert.equal(cond?.message, '0/3 sites available: 3 region mismatch')
  assert.equal(app.status?.replicas, 0)
  const warnings = (await eventsOf(s.store, 'web')).filter((e) => e.type === 'Warning')
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0].reason, 'FailedScheduling')
  assert.match(warnings[0].message, /2 replica\(s\) not placed: 0\/3 sites available: 3 region mismatch/)
  assert.deepEqual(warnings[0].involvedObject, { kind: 'App', name: 'web', namespace: 'default', uid: app.metadata.uid })

  // Repeating the reconcile does not repeat the warning.
  await s.c.reconcile('default/web')
  await s.settle()
  assert.equal((await eventsOf(s.store, 'web')).filter((e) => e.type === 'Warning').length, 1)

  // Fixing the placement schedules it.
  await s.edit('web', (spec) => ({ ...spec, placement: { regions: ['eu'] } }))
  await s.settle()
  assert.equal((await s.mine()).length, 2)
  assert.equal(getCondition((await s.app()).status?.conditions, 'Scheduled')?.status, 'True')
})

test('app controller: no ready node → unschedulable; a node turning ready gets the replicas', async (t) => {
  const f = await fleet(t)
  await f.store.create(siteObj('s0'))
  await f.store.create(nodeObj('s0-n0', 's0', { ready: false }))
  const c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances })
  c.start()
  t.after(() => c.stop())
  await f.store.create(appObj('web', { replicas: 2 }))
  await settle(f.store, [c.queue])
  let app = (await f.store.get<App>('App', 'default', 'web'))!
  assert.equal(getCondition(app.status?.conditions, 'Scheduled')?.message, '0/1 sites available: 1 no ready nodes')
  const n = (await f.store.get<ReturnType<typeof nodeObj>>('Node', undefined, 's0-n0'))!
  await f.store.update({ ...n, status: nodeObj('s0-n0', 's0').status }, { subresource: 'status' })
  await settle(f.store, [c.queue])
  assert.equal((await f.store.list<Instance>('Instance')).items.length, 2)
  app = (await f.store.get<App>('App', 'default', 'web'))!
  assert.equal(getCondition(app.status?.conditions, 'Scheduled')?.status, 'True')
})

test('app controller: a template change rolls out wave by wave; old instances go only once new ones are ready', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 3 }))
  await s.settle()
  const v1 = await s.mine()
  for (const i of v1) await markReady(s.store, i)
  await s.settle()
  const rev1 = templateRevision(template())
  const rev2 = templateRevision(template({ command: 'web2' }))
  assert.equal((await s.app()).status?.lastGoodRevision, rev1, 'the first deployment, once ready, is the last good revision')

  await s.edit('web', (spec) => ({ ...spec, template: template({ command: 'web2' }) }))
  await s.settle()
  let all = await s.mine()
  // Canary first (the first site): one new instance beside the old one; the other sites wait.
  const canary = all.filter((i) => i.spec.revision === rev2)
  assert.equal(canary.length, 1)
  assert.equal(canary[0].spec.site, 's0')
  assert.equal(canary[0].spec.template.command, 'web2')
  assert.equal(all.filter((i) => i.spec.revision === rev1).length, 3, 'old ones kept while the new one is not ready')
  let app = await s.app()
  assert.equal(app.status?.revision, rev2)
  assert.equal(app.status?.rollout?.phase, 'Progressing')
  assert.deepEqual(app.status?.rollout?.waves.map((w) => [w.name, w.sites.map((x) => `${x.site}:${x.state}`)]), [['canary', ['s0:Updating']], ['100%', ['s1:Pending', 's2:Pending']]])

  await markReady(s.store, canary[0])
  await s.settle()
  all = await s.mine()
  assert.equal(all.filter((i) => i.spec.site === 's0').map((i) => i.spec.revision).join(), rev2, 's0 now runs only the new revision')
  assert.equal((await s.app()).status?.rollout?.waves[0].sites[0].state, 'Soaking')
  // The next wave starts only after the soak.
  assert.equal(all.filter((i) => i.spec.revision === rev2).length, 1)
  s.clock.advance(10_000)
  await s.settle()
  all = await s.mine()
  const wave2 = all.filter((i) => i.spec.revision === rev2 && i.spec.site !== 's0')
  assert.deepEqual(wave2.map((i) => i.spec.site).sort(), ['s1', 's2'])
  for (const i of wave2) await markReady(s.store, i)
  await s.settle()
  s.clock.advance(10_000)
  await s.settle()
  all = await s.mine()
  assert.deepEqual(all.map((i) => i.spec.revision), [rev2, rev2, rev2], 'only the new revision is left')
  app = await s.app()
  assert.equal(app.status?.rollout?.phase, 'Succeeded')
  assert.equal(app.status?.lastGoodRevision, rev2)
  assert.equal(app.status?.replicas, 3)
  assert.equal(app.status?.readyReplicas, 3)
  assert.equal(app.status?.updatedReplicas, 3)
  const reasons = (await eventsOf(s.store, 'web')).map((e) => e.reason)
  for (const r of ['RolloutStarted', 'Replacing', 'WaveCompleted', 'RolloutSucceeded']) assert.ok(reasons.includes(r), r)
})

test('app controller: old instances give way one for one to ready new ones', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 3 }))
  await s.settle()
  for (const i of await s.mine()) await markReady(s.store, i)
  await s.settle()
  const rev2 = templateRevision(template({ command: 'web2' }))
  await s.edit('web', (spec) => ({ ...spec, template: template({ command: 'web2' }) }))
  await s.settle()
  const v2 = (await s.mine()).filter((i) => i.spec.revision === rev2)
  await markReady(s.store, v2[0])
  await s.settle()
  const all = await s.mine()
  assert.equal(all.filter((i) => i.spec.revision !== rev2).length, 2, 'one old instance went for the one ready new instance')
  assert.equal((await s.app()).status?.readyReplicas, 3, 'never fewer ready replicas than wanted')
})

test('app controller: a template change that cannot be placed leaves the old instances serving, then rolls back', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 3 }))
  await s.settle()
  for (const i of await s.mine()) await markReady(s.store, i)
  await s.settle()
  const before = (await s.mine()).map((i) => i.metadata.name).sort()
  // More cpu than any node has: no instance of the new revision fits beside the old ones.
  await s.edit('web', (spec) => ({ ...spec, template: template({ resources: { cpu: '64', memory: '128Mi' } }) }))
  await s.settle()
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name).sort(), before)
  assert.equal((await s.app()).status?.readyReplicas, 3)
  // The canary never becomes ready: past the ready deadline the rollout rolls back.
  s.clock.advance(121_000)
  await s.settle()
  const app = await s.app()
  assert.equal(app.status?.rollout?.phase, 'RolledBack')
  assert.match(app.status?.rollout?.message ?? '', /not fully updated and ready within 120s/)
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name).sort(), before, 'the old instances served throughout')
  assert.ok((await eventsOf(s.store, 'web')).some((e) => e.reason === 'RolloutRolledBack' && e.type === 'Warning'))
})

test('app controller: scaling to zero during an update removes everything', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 2 }))
  await s.settle()
  await s.edit('web', (spec) => ({ ...spec, replicas: 0, template: template({ command: 'web2' }) }))
  await s.settle()
  assert.equal((await s.mine()).length, 0)
  assert.equal((await s.app()).status?.replicas, 0)
})

test('app controller: deleting the App deletes its instances and nothing else', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 3 }))
  await s.store.create(appObj('api', { replicas: 2 }))
  await s.settle()
  assert.equal((await s.mine()).length, 3)
  await s.store.delete('App', 'default', 'web')
  await s.settle()
  assert.equal((await s.mine()).length, 0)
  assert.equal((await s.mine('api')).length, 2)
})

test('app controller: instances whose App is gone at start are cleaned up', async (t) => {
  const s = await setup(t, {
    before: async (f) => {
      await f.store.create(appObj('api', { replicas: 1 }))
      await f.store.create(instanceObj('ghost-1', 's0-n0', 's0', { app: 'ghost' }))
      await f.store.create(instanceObj('ghost-2', 's1-n0', 's1', { app: 'ghost' }))
      await f.store.create(instanceObj('api-1', 's1-n0', 's1', { app: 'api', revision: templateRevision(template()) }))
    },
  })
  await s.settle()
  assert.equal((await s.mine('ghost')).length, 0)
  const api = await s.mine('api')
  assert.deepEqual(api.map((i) => i.metadata.name), ['api-1'], 'an instance of a live App at its revision is adopted, not replaced')
})

test('app controller: apps in different namespaces with the same name are kept apart', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 1 }))
  await s.store.create(appObj('web', { replicas: 2 }, 'other'))
  await s.settle()
  const all = (await s.store.list<Instance>('Instance')).items
  assert.equal(all.filter((i) => i.metadata.namespace === 'default').length, 1)
  assert.equal(all.filter((i) => i.metadata.namespace === 'other').length, 2)
  await s.store.delete('App', 'other', 'web')
  await s.settle()
  const left = (await s.store.list<Instance>('Instance')).items
  assert.deepEqual(left.map((i) => i.metadata.namespace), ['default'])
})

test('app controller: on a full node the update rolls through one instance at a time', async (t) => {
  const s = await setup(t, { sites: 0, before: async (f) => {
    await f.store.create(siteObj('s0'))
    await f.store.create(nodeObj('s0-n0', 's0', { cpu: 1200 }))
  } })
  const big = (command: string) => template({ command, resources: { cpu: '300m', memory: '128Mi' } })
  await s.store.create(appObj('web', { replicas: 3, template: big('v1') }))
  await s.settle()
  for (const i of await s.mine()) await markReady(s.store, i)
  await s.settle()
  const rev2 = templateRevision(big('v2'))
  await s.edit('web', (spec) => ({ ...spec, template: big('v2') }))
  await s.settle()
  for (let round = 0; round < 5; round++) {
    const all = await s.mine()
    assert.ok(all.filter((i) => i.status?.ready).length >= 3, 'ready replicas never drop below the wanted count')
    const pending = all.filter((i) => i.spec.revision === rev2 && !i.status?.ready)
    if (!pending.length) break
    assert.equal(pending.length, 1, 'room for one new instance at a time')
    await markReady(s.store, pending[0])
    await s.settle()
  }
  const all = await s.mine()
  assert.equal(all.length, 3)
  assert.ok(all.every((i) => i.spec.revision === rev2 && i.status?.ready))
  assert.equal(getCondition((await s.app()).status?.conditions, 'Scheduled')?.status, 'True')
})

test('app controller: its own status write starts no reconcile; an edit, or anything else written to the App, does', async (t) => {
  const s = await setup(t)
  await s.store.create(appObj('web', { replicas: 3 }))
  await s.settle()
  let runs = 0
  const reconcile = s.c.reconcile.bind(s.c)
  s.c.reconcile = async (key) => { runs++; return reconcile(key) }

  // Readiness moves the counts in status: one reconcile writes them, and its write starts none
  // (before, every readiness burst cost a second reconcile of the whole app).
  const [one, ...rest] = await s.mine()
  await markReady(s.store, one)
  await s.settle()
  assert.equal((await s.app()).status?.readyReplicas, 1)
  assert.equal(runs, 1, 'one reconcile for one readiness change')
  for (const i of rest) await markReady(s.store, i)
  await s.settle()
  assert.equal((await s.app()).status?.readyReplicas, 3)
  const afterReady = runs

  // A status written by someone else (here: an old copy) is reconciled and put right.
  const app = await s.app()
  await s.store.update({ ...app, status: { ...app.status!, readyReplicas: 0 } }, { subresource: 'status' })
  await s.settle()
  assert.ok(runs > afterReady, 'a foreign status write is reconciled')
  assert.equal((await s.app()).status?.readyReplicas, 3, 'and put right')

  // An edit is reconciled as always.
  await s.edit('web', (spec) => ({ ...spec, replicas: 4 }))
  await s.settle()
  assert.equal((await s.mine()).length, 4)
})
