// AppController with the scheduler's time-dependent inputs (docs/scheduler.md), on a memory store
// and a ManualClock: failover (replacement placed, lost instance kept), pinned apps, the return
// dwell (surplus trimmed only once the returned instances are ready and trusted), preemption of a
// lower-priority app, autoscale from observed load, demand-driven placement, status.placement.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { App, AppSpec, Instance, Node } from '../../src/api/kinds/index.js'
import { getCondition } from '../../src/api/meta.js'
import { isoNow } from '../../src/lib/clock.js'
import { AppController, type AppControllerOptions } from '../../src/controllers/app-controller.js'
import { statusPlacement } from '../../src/controllers/app/scheduling.js'
import type { DemandPoint } from '../../src/scheduler/types.js'
import { appObj, eventsOf, fleet, log, markReady, nodeObj, settle, siteObj, template, type Fleet } from './helpers.js'

const S = 1000

interface Setup extends Fleet {
  c: AppController
  settle: () => Promise<void>
  app: (name?: string) => Promise<App>
  mine: (name?: string) => Promise<Instance[]>
  /** Moves the clock (firing due requeues) and lets the controller finish. */
  advance: (ms: number) => Promise<void>
  /** The node's Ready condition flips now, as the node lifecycle controller writes it. */
  setReady: (node: string, ready: boolean) => Promise<void>
}

async function setup(t: TestContext, sites: { name: string; cpu?: number; geo?: { lat: number; lon: number } }[], extra: Partial<AppControllerOptions> = {}): Promise<Setup> {
  const f = await fleet(t)
  for (const s of sites) {
    await f.store.create(siteObj(s.name, s.geo ? { geo: s.geo } : {}))
    await f.store.create(nodeObj(`${s.name}-n0`, s.name, s.cpu ? { cpu: s.cpu } : {}))
  }
  const c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, ...extra })
  c.start()
  t.after(() => c.stop())
  const run = () => settle(f.store, [c.queue])
  const s: Setup = {
    ...f, c, settle: run,
    app: async (name = 'web') => (await f.store.get<App>('App', 'default', name))!,
    mine: async (name = 'web') => (await f.store.list<Instance>('Instance')).items.filter((i) => i.spec.app === name),
    advance: async (ms) => { f.clock.advance(ms); await run() },
    setReady: async (name, ready) => {
      const n = (await f.store.get<Node>('Node', undefined, name))!
      const cond = ready
        ? { type: 'Ready', status: 'True' as const, reason: 'AgentConnected', lastTransitionTime: isoNow(f.clock) }
        : { type: 'Ready', status: 'False' as const, reason: 'LinkClosed', lastTransitionTime: isoNow(f.clock) }
      await f.store.update({ ...n, status: { ...n.status!, conditions: [cond] } }, { subresource: 'status' })
      // What the node lifecycle controller does to the instances of a node that goes NotReady.
      if (!ready) for (const i of (await f.store.list<Instance>('Instance')).items.filter((x) => x.spec.node === name)) await markReady(f.store, i, false)
    },
  }
  await run()
  return s
}

const decision = (app: App, site: string) => app.status?.placement?.decisions.find((d) => d.site === site)

async function deployOne(s: Setup, spec: Partial<AppSpec>): Promise<Instance> {
  await s.store.create(appObj('web', { replicas: 1, ...spec }))
  await s.settle()
  const [first] = await s.mine()
  await markReady(s.store, first)
  await s.settle()
  return first
}

test('app scheduling: status.placement carries each site\'s decision', async (t) => {
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }, { name: 's2' }])
  await s.store.create(appObj('web', { replicas: 2 }))
  await s.settle()
  const app = await s.app()
  const decisions = app.status?.placement?.decisions ?? []
  // Written by the last reconcile: the instances placed before are now simply held.
  assert.deepEqual(decisions.map((d) => [d.site, d.replicas]), [['s0', 1], ['s1', 1], ['s2', 0]])
  assert.equal(decisions[0].reason, '1: even spread by site')
  assert.equal(typeof decisions[0].score, 'number')
  assert.match(decisions[2].reason, /^0: other sites preferred/)
  assert.equal(app.status?.placement?.omitted, undefined, 'every site is explained')
})

test('app scheduling: a site NotReady for afterSeconds fails over; the lost instance is kept, not counted', async (t) => {
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }])
  const first = await deployOne(s, { placement: { failover: { afterSeconds: 30 } } })
  assert.equal(first.spec.site, 's0')

  await s.setReady('s0-n0', false)
  await s.settle()
  let app = await s.app()
  assert.equal((await s.mine()).length, 1, 'a short outage changes nothing')
  assert.equal(decision(app, 's0')?.reason, '1: kept: NotReady for 0s (failover after 30s)')

  // No event moves the app: the plan's recheckAt requeues it when the failover is due.
  await s.advance(29 * S)
  assert.equal((await s.mine()).length, 1)
  await s.advance(1 * S)
  const all = await s.mine()
  assert.equal(all.length, 2, 'a replacement was placed')
  assert.ok(all.some((i) => i.metadata.name === first.metadata.name), 'the lost instance is not deleted')
  const replacement = all.find((i) => i.metadata.name !== first.metadata.name)!
  assert.equal(replacement.spec.site, 's1')
  assert.equal(replacement.spec.revision, first.spec.revision, 'the replacement runs the same revision')
  app = await s.app()
  assert.equal(decision(app, 's0')?.lost, 1)
  assert.match(decision(app, 's0')!.reason, /^0: failed over \(NotReady 30s\); 1 lost/)
  assert.equal(getCondition(app.status?.conditions, 'Scheduled')?.message, '1/1 replicas placed on 1 site; 1 lost on failed-over nodes')

  // Reconciling again (and much later) neither deletes the lost instance nor repeats the event.
  await s.c.reconcile('default/web')
  await s.advance(600 * S)
  assert.equal((await s.mine()).length, 2)
  const failedOver = (await eventsOf(s.store, 'web')).filter((e) => e.reason === 'FailedOver')
  assert.equal(failedOver.length, 1)
  assert.equal(failedOver[0].count, 1)
  assert.match(failedOver[0].message, /^failed over: 1 instance\(s\) lost on site s0/)
})

test('app scheduling: a pinned app keeps its replica through a partition', async (t) => {
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }])
  const first = await deployOne(s, { placement: { failover: { afterSeconds: 30, pinned: true } } })
  await s.setReady('s0-n0', false)
  await s.advance(120 * S)
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name), [first.metadata.name], 'no replacement, nothing removed')
  const app = await s.app()
  assert.match(decision(app, 's0')!.reason, /^1: pinned: kept through NotReady 120s/)
  assert.equal((await eventsOf(s.store, 'web')).filter((e) => e.reason === 'FailedOver').length, 0)
})

/**
 * One replica on s0 (of s0, s1), failed over after 30 s; 90 s after s0 went down its replacement
 * on s1 is ready (long enough after the node joined for its return to count as a recovery).
 */
async function failedOver(t: TestContext, returnAfterSeconds: number): Promise<{ s: Setup; first: Instance }> {
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }])
  const first = await deployOne(s, { placement: { failover: { afterSeconds: 30, returnAfterSeconds } } })
  await s.setReady('s0-n0', false)
  await s.advance(30 * S)
  const replacement = (await s.mine()).find((i) => i.metadata.name !== first.metadata.name)!
  await markReady(s.store, replacement)
  await s.advance(60 * S)
  return { s, first }
}

test('app scheduling: a returned site takes its replica back only once it is ready and its dwell is over', async (t) => {
  const { s, first } = await failedOver(t, 60)

  // s0 comes back; its agent reports the instance later. In the dwell nothing is trimmed.
  await s.setReady('s0-n0', true)
  await s.settle()
  assert.equal((await s.mine()).length, 2)
  await markReady(s.store, first)
  await s.settle()
  let app = await s.app()
  assert.equal((await s.mine()).length, 2, 'the returned instance is not trusted yet: the replacement stays')
  assert.match(decision(app, 's0')!.reason, /^1: returning, ready for 0s of 60s/)
  assert.equal(decision(app, 's1')?.surplus, 1)
  assert.match(getCondition(app.status?.conditions, 'Scheduled')?.message ?? '', /1 surplus until replacements are ready/)
  assert.ok((await eventsOf(s.store, 'web')).some((e) => e.reason === 'FailoverEnded'))

  await s.advance(59 * S)
  assert.equal((await s.mine()).length, 2)
  await s.advance(1 * S)
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name), [first.metadata.name], 'after the dwell the surplus replacement goes')
  app = await s.app()
  assert.equal(getCondition(app.status?.conditions, 'Available')?.message, '1/1 replicas ready')
})

test('app scheduling: the surplus goes only once the returned instance is ready', async (t) => {
  const { s, first } = await failedOver(t, 10)
  await s.setReady('s0-n0', true)
  await s.advance(20 * S)
  assert.equal((await s.mine()).length, 2, 'dwell over, but the returned instance is not ready: keep the replacement')
  await markReady(s.store, first)
  await s.settle()
  assert.deepEqual((await s.mine()).map((i) => i.metadata.name), [first.metadata.name])
})

test('app scheduling: a higher-priority app preempts a lower-priority instance, with events on both apps', async (t) => {
  const s = await setup(t, [{ name: 's0', cpu: 1000 }])
  const sized = (cpu: string) => template({ resources: { cpu, memory: '64Mi' } })
  await s.store.create(appObj('batch', { replicas: 2, template: sized('400m') }))
  await s.settle()
  const batch = await s.mine('batch')
  assert.equal(batch.length, 2)

  await s.store.create(appObj('live', { replicas: 1, priority: 100, template: sized('500m') }))
  await s.settle()
  const live = await s.mine('live')
  assert.equal(live.length, 1, 'placed in the room a victim left')
  const left = await s.mine('batch')
  assert.equal(left.length, 1, 'one batch instance was stopped')
  const victim = batch.find((i) => !left.some((l) => l.metadata.name === i.metadata.name))!

  const liveEvents = (await eventsOf(s.store, 'live')).filter((e) => e.reason === 'Preempting')
  assert.equal(liveEvents.length, 1)
  assert.match(liveEvents[0].message, new RegExp(`stopped instance ${victim.metadata.name} of app default/batch \\(priority 0\\) on node s0-n0`))
  const batchEvents = (await eventsOf(s.store, 'batch')).filter((e) => e.reason === 'Preempted')
  assert.equal(batchEvents.length, 1)
  assert.equal(batchEvents[0].type, 'Warning')
  assert.match(batchEvents[0].message, /stopped for app default\/live \(priority 100\)/)

  // The victim's app cannot take the room back and does not preempt (equal or higher priority only).
  await s.advance(5 * S)
  assert.equal((await s.mine('batch')).length, 1)
  const batchApp = await s.app('batch')
  assert.equal(getCondition(batchApp.status?.conditions, 'Scheduled')?.status, 'False')
  assert.equal((await s.mine('live')).length, 1)
})

test('app scheduling: the preemption budget (maxPerHour) is spent and refills after an hour', async (t) => {
  const s = await setup(t, [{ name: 's0', cpu: 1000 }])
  const sized = (cpu: string) => template({ resources: { cpu, memory: '64Mi' } })
  await s.store.create(appObj('batch', { replicas: 4, template: sized('250m') }))
  await s.settle()
  await s.store.create(appObj('live', { replicas: 2, priority: 1, template: sized('250m'), placement: { preemption: { maxPerHour: 1 } } }))
  await s.settle()
  assert.equal((await s.mine('live')).length, 1, 'one preemption allowed this hour')
  assert.equal((await s.mine('batch')).length, 3)
  assert.match(getCondition((await s.app('live')).status?.conditions, 'Scheduled')?.message ?? '', /^0\/1 sites available/)
  await s.advance(3600 * S)
  // Nothing requeues an unschedulable app by time alone; any change does.
  s.c.queue.add('default/live')
  await s.settle()
  assert.equal((await s.mine('live')).length, 2, 'the budget is back after an hour')
  assert.equal((await s.mine('batch')).length, 2)
})

test('app scheduling: autoscale follows the observed load; scale-down waits for its delay', async (t) => {
  let rps = 0
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }], { observed: (host) => (host === 'web.test' ? { rps, connections: 0 } : { rps: 0, connections: 0 }) })
  await s.store.create(appObj('web', {
    replicas: 1, traffic: { host: 'web.test', port: 'http' }, template: template({ ports: [{ name: 'http', protocol: 'tcp' }] }),
    autoscale: { min: 1, max: 5, targetPerReplica: { requestsPerSecond: 10 }, scaleDownDelaySeconds: 60 },
  }))
  await s.settle()
  let app = await s.app()
  assert.equal((await s.mine()).length, 1)
  assert.deepEqual(app.status?.autoscale, { replicas: 1, reason: '0 req/s: within 10% of the target' })

  rps = 35
  await s.advance(5 * S) // the periodic look at autoscaled apps
  assert.equal((await s.mine()).length, 4)
  app = await s.app()
  assert.equal(app.status?.autoscale?.replicas, 4)
  assert.equal(app.status?.autoscale?.lastScaleDownAt, isoNow(s.clock), 'the scale-down delay counts from this change')
  assert.equal(getCondition(app.status?.conditions, 'Available')?.message, '0/4 replicas ready', 'wanted is the autoscaled count')
  const scaled = (await eventsOf(s.store, 'web')).filter((e) => e.reason === 'Autoscaled')
  assert.deepEqual(scaled.map((e) => e.message), ['replicas 1 → 4: 35 req/s: 4 replicas at the target per replica'])

  rps = 5
  await s.advance(5 * S)
  assert.equal((await s.mine()).length, 4, 'scale-down waits scaleDownDelaySeconds after the last change')
  assert.match((await s.app()).status?.autoscale?.reason ?? '', /scale-down waits 55s more/)
  await s.advance(55 * S)
  assert.equal((await s.mine()).length, 1)
  assert.equal((await s.app()).status?.autoscale?.replicas, 1)
})

test('app scheduling: apps without spec.autoscale are not autoscaled', async (t) => {
  const s = await setup(t, [{ name: 's0' }], { observed: () => ({ rps: 1000, connections: 0 }) })
  await s.store.create(appObj('web', { replicas: 2, traffic: { host: 'web.test', port: 'http' }, template: template({ ports: [{ name: 'http', protocol: 'tcp' }] }) }))
  await s.settle()
  await s.advance(10 * S)
  assert.equal((await s.mine()).length, 2)
  assert.equal((await s.app()).status?.autoscale, undefined)
})

test('app scheduling: division mode demand places replicas at the sites nearest to the demand', async (t) => {
  const demand: DemandPoint[] = [{ point: { lat: 35.7, lon: 139.7 }, weight: 50 }]
  const s = await setup(t, [
    { name: 'paris', geo: { lat: 48.86, lon: 2.35 } },
    { name: 'tokyo', geo: { lat: 35.68, lon: 139.69 } },
  ], { demand: (app) => (app.spec.traffic?.host === 'web.test' ? demand : []) })
  await s.store.create(appObj('web', {
    replicas: 2, traffic: { host: 'web.test', port: 'http' }, template: template({ ports: [{ name: 'http', protocol: 'tcp' }] }),
    placement: { division: { mode: 'demand' } },
  }))
  await s.settle()
  assert.deepEqual((await s.mine()).map((i) => i.spec.site), ['tokyo', 'tokyo'])
  assert.equal(decision(await s.app(), 'tokyo')?.target, 2)
})

test('app scheduling: a rollout neither deletes nor replaces instances lost on a failed-over site', async (t) => {
  const s = await setup(t, [{ name: 's0' }, { name: 's1' }])
  await s.store.create(appObj('web', { replicas: 2, placement: { failover: { afterSeconds: 30 } } }))
  await s.settle()
  for (const i of await s.mine()) await markReady(s.store, i)
  await s.settle()
  const lostOne = (await s.mine()).find((i) => i.spec.site === 's0')!
  await s.setReady('s0-n0', false)
  await s.advance(30 * S)
  for (const i of await s.mine()) if (i.spec.site === 's1') await markReady(s.store, i)
  await s.settle()
  assert.deepEqual((await s.mine()).map((i) => i.spec.site).sort(), ['s0', 's1', 's1'])

  await s.store.update({ ...(await s.app()), spec: { ...(await s.app()).spec, template: template({ command: 'web2' }) } })
  for (let round = 0; round < 6; round++) {
    for (const i of await s.mine()) if (i.spec.template.command === 'web2' && !i.status?.ready) await markReady(s.store, i)
    await s.advance(10 * S)
  }
  const all = await s.mine()
  assert.ok(all.some((i) => i.metadata.name === lostOne.metadata.name), 'the lost instance is still there')
  assert.ok(!all.some((i) => i.metadata.annotations?.['edgeplane.io/replaces'] === lostOne.metadata.name), 'and nothing replaces it in place')
  assert.deepEqual(all.filter((i) => i.spec.site === 's1').map((i) => i.spec.template.command), ['web2', 'web2'])
  assert.equal((await s.app()).status?.rollout?.phase, 'Succeeded')
})

test('app scheduling: status keeps at most 100 site decisions, the busy sites first', () => {
  const decisions = Array.from({ length: 150 }, (_, i) => ({ site: `s${String(i).padStart(3, '0')}`, replicas: 1, reason: '1: even spread by site', ...(i >= 140 ? { lost: 1 } : {}) }))
  const p = statusPlacement(decisions, 7)
  assert.equal(p.decisions.length, 100)
  assert.equal(p.omitted, 57)
  assert.deepEqual(p.decisions.slice(-10).map((d) => d.site), decisions.slice(140).map((d) => d.site), 'every site with lost instances is kept, in order')
  assert.deepEqual(statusPlacement(decisions.slice(0, 3), 0), { decisions: decisions.slice(0, 3) })
})
