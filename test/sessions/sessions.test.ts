// Sessions against a memory store and a manual clock: warm pools sized by the app controller,
// concurrent allocations never double-booked, nearest site first then outward, cold starts within
// the deadline, 503 with the reason, idempotent retries, expiry, renew, release, lost instances.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance, Session } from '../../src/api/kinds/index.js'
import { ApiError, isApiError } from '../../src/api/errors.js'
import { Cache } from '../../src/store/cache.js'
import { AppController } from '../../src/controllers/app-controller.js'
import { SessionService, sessionId } from '../../src/sessions/service.js'
import { desiredInstances, Pool } from '../../src/sessions/pool.js'
import { newSessionKey, signSessionToken, verifySessionToken } from '../../src/sessions/token.js'
import { createGeoLocator } from '../../src/routing/geo/locator.js'
import { appObj, fleet, log, nodeObj, settle, siteObj, type Fleet } from '../controllers/helpers.js'

const PARIS = { lat: 48.85, lon: 2.35 }
const TOKYO = { lat: 35.68, lon: 139.65 }

interface Setup extends Fleet { down: Set<string>; svc: SessionService; c: AppController; sessions: Cache<Session>; settle: () => Promise<void>; readyAll: () => Promise<number>; pool: (site: string) => Promise<Instance[]> }

/** Two sites, Paris and Tokyo, one node each; a session app with the given pool settings. */
async function setup(t: TestContext, sessions: Partial<NonNullable<App['spec']['sessions']>>): Promise<Setup> {
  const f = await fleet(t)
  await f.store.create(siteObj('paris', { geo: PARIS }))
  await f.store.create(siteObj('tokyo', { geo: TOKYO }))
  await f.store.create(nodeObj('paris-1', 'paris'))
  await f.store.create(nodeObj('tokyo-1', 'tokyo'))
  const sessionCache = new Cache<Session>(f.store, 'Session')
  await sessionCache.start()
  // Nodes whose link is down (not connected): their sites are not usable.
  const down = new Set<string>()
  let c!: AppController
  const svc = new SessionService({
    store: f.store, clock: f.clock, log, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, sessions: sessionCache,
    geo: createGeoLocator({ mmdbFile: null, rules: [] }), connected: (n) => !down.has(n), onPoolChange: (k, site) => c.poolChanged(k, site),
  })
  c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, pools: svc })
  svc.start()
  c.start()
  t.after(() => { c.stop(); svc.stop(); sessionCache.stop() })
  await f.store.create(appObj('game', { template: { runtime: 'process', command: 'game', stopGracePeriodSeconds: 1, ports: [{ name: 'ws', protocol: 'tcp' }] }, sessions: { ...sessions } as never }))
  const s: Setup = {
    ...f, down, svc, c, sessions: sessionCache,
    settle: () => settle(f.store, [c.queue]),
    pool: async (site) => (await f.store.list<Instance>('Instance')).items.filter((i) => i.spec.site === site),
    // The agents' part: every instance runs and is ready on its own port.
    readyAll: async () => {
      let n = 0
      for (const i of (await f.store.list<Instance>('Instance')).items) {
        if (i.status?.ready) continue
        await f.store.update({ ...i, status: { phase: 'Running', ready: true, restarts: 0, pid: 1000 + n, node: i.spec.node, site: i.spec.site, endpoints: { ws: `127.0.0.${i.spec.site === 'paris' ? 1 : 2}:${31000 + n}` } } }, { subresource: 'status' })
        n++
      }
      return n
    },
  }
  await s.settle()
  return s
}

const near = (loc: { lat: number; lon: number }, extra: object = {}) => ({ app: 'game', location: loc, deadlineMs: 1000, ...extra })

test('session tokens: signed with the instance key, bound to the instance, expiring', () => {
  const key = newSessionKey()
  const tok = signSessionToken(key, { sid: 's1', inst: 'game-1', slot: 0, exp: 2000 })
  assert.deepEqual(verifySessionToken(key, tok, 1_000_000), { sid: 's1', inst: 'game-1', slot: 0, exp: 2000 })
  assert.equal(verifySessionToken(key, tok, 2_000_000), undefined, 'expired')
  assert.equal(verifySessionToken(newSessionKey(), tok, 0), undefined, 'another instance\'s key')
  assert.equal(verifySessionToken(key, tok.replace(/^./, 'x'), 0), undefined, 'tampered')
})

test('session names: unique, and in creation order (they sort as they were made)', () => {
  const names = [sessionId(1_000), sessionId(1_000), sessionId(1_001), sessionId(Date.UTC(2026, 11, 4)), sessionId(Date.UTC(2100, 0, 1))]
  assert.equal(new Set(names).size, names.length)
  for (const n of names) assert.match(n, /^s[0-9a-f]{28}$/)
  assert.deepEqual(names.slice(2).sort(), names.slice(2), 'later names sort after earlier ones')
  assert.ok(names[1] < names[2] && names[0] < names[2])
})

test('pool: sizes follow demand; slots are handed out once, busy instances first', () => {
  assert.equal(desiredInstances({ active: 0, waiting: 0, busyInstances: 0 }, { slotsPerInstance: 2, warmPerSite: 2, maxPerSite: 5 }), 1)
  assert.equal(desiredInstances({ active: 5, waiting: 1, busyInstances: 3 }, { slotsPerInstance: 2, warmPerSite: 2, maxPerSite: 5 }), 4)
  assert.equal(desiredInstances({ active: 20, waiting: 0, busyInstances: 10 }, { slotsPerInstance: 2, warmPerSite: 0, maxPerSite: 5 }), 10, 'never below the busy ones')
  assert.equal(desiredInstances({ active: 0, waiting: 0, busyInstances: 0 }, { slotsPerInstance: 1, warmPerSite: 0, maxPerSite: 5 }), 0, 'scale to zero')
  const p = new Pool('default/game', 'paris')
  p.upsert({ name: 'a', node: 'n', address: 'x', port: 1, ready: true, slotCount: 2 }, 0)
  p.upsert({ name: 'b', node: 'n', address: 'x', port: 2, ready: true, slotCount: 2 }, 0)
  const first = p.take('s1')!
  assert.equal(p.take('s2')!.instance.name, first.instance.name, 'the busy instance fills first')
  const third = p.take('s3')!
  assert.notEqual(third.instance.name, first.instance.name)
  p.take('s4')
  assert.equal(p.take('s5'), undefined, 'four slots, four sessions')
})

test('pool: says when it gains its first and loses its last free ready slot', () => {
  const seen: boolean[] = []
  const p = new Pool('default/game', 'paris', (warm) => seen.push(warm))
  p.upsert({ name: 'a', node: 'n', address: 'x', port: 1, ready: false, slotCount: 2 }, 0)
  assert.deepEqual(seen, [], 'not ready: no warm slot')
  p.upsert({ name: 'a', node: 'n', address: 'x', port: 1, ready: true, slotCount: 2 }, 0)
  assert.deepEqual(seen, [true])
  p.take('s1')
  assert.equal(p.freeReadySlots, 1)
  p.take('s2')
  assert.deepEqual(seen, [true, false])
  p.free('a', 0, 's1', 1)
  assert.deepEqual(seen, [true, false, true])
  p.upsert({ name: 'a', node: 'n', address: 'x', port: 1, ready: true, slotCount: 3 }, 2)
  assert.equal(p.freeReadySlots, 2, 'resized: the slot still held stays held')
  p.upsert({ name: 'b', node: 'n', address: 'x', port: 2, ready: true, slotCount: 1 }, 2)
  p.remove('a')
  assert.equal(p.freeReadySlots, 1)
  p.remove('b')
  assert.deepEqual(seen, [true, false, true, false])
  assert.equal(p.freeReadySlots, 0)
})

// The fallback outward across continents needs a distance budget that wide (the default, 1,500 km,
// refuses it: see sessions-distance.test.ts).
test('sessions: the nearest usable site with a warm slot, ties by name, then outward', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 1, maxDistanceKm: 20000 })
  // Two sites at the same place in Lyon (named so that creation order is not name order).
  const LYON = { lat: 45.76, lon: 4.84 }
  for (const site of ['lyon-b', 'lyon-a']) {
    await s.store.create(siteObj(site, { geo: LYON }))
    await s.store.create(nodeObj(`${site}-1`, site))
  }
  s.clock.advance(250) // the usable sites are recomputed at most every 250 ms
  await s.settle()
  await s.readyAll()
  await s.settle()
  assert.equal((await s.svc.create(near(LYON), '127.0.0.1')).site, 'lyon-a', 'a tie by name')
  assert.equal((await s.svc.create(near(LYON), '127.0.0.1')).site, 'lyon-b')
  s.down.add('paris-1')
  s.clock.advance(250)
  assert.equal((await s.svc.create(near(LYON), '127.0.0.1')).site, 'tokyo', 'paris has a warm slot but its node is not connected')
  s.down.clear()
  s.clock.advance(250)
  assert.equal((await s.svc.create(near(LYON), '127.0.0.1')).site, 'paris')
  await assert.rejects(s.svc.create(near(LYON, { deadlineMs: 1 }), '127.0.0.1'), (e: unknown) => isApiError(e, 'Unavailable'))
  const other = await s.svc.create(near(TOKYO), '127.0.0.1').catch((e: unknown) => e)
  assert.ok(isApiError(other, 'Unavailable'), 'every warm slot is taken')
})

test('sessions: a warm pool is kept in each site; 50 concurrent allocations never double-book', async (t) => {
  const s = await setup(t, { slotsPerInstance: 2, warmPerSite: 4, maxPerSite: 4, maxDistanceKm: 20000 })
  assert.equal((await s.pool('paris')).length, 2, 'warmPerSite 4 with 2 slots each: 2 instances pre-started')
  assert.equal((await s.pool('tokyo')).length, 2)
  assert.ok((await s.pool('paris')).every((i) => i.spec.sessionKey && i.spec.slots === 2), 'each instance has its own session key')
  await s.readyAll()
  await s.settle()
  // A refusal can come at once (both pools full with waiters): handled below, not unhandled meanwhile.
  const calls = Array.from({ length: 50 }, (_, k) => { const p = s.svc.create(near(PARIS, { deadlineMs: 1 + (k % 2) }), '127.0.0.1'); p.catch(() => {}); return p })
  // Callers beyond the warm slots wait for a cold start; their deadlines pass on the manual clock.
  await s.settle()
  s.clock.advance(5)
  const results = await Promise.allSettled(calls)
  const ok = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<SessionService['create']>>>).value)
  const slots = ok.map((v) => `${v.instance}#${v.slot}`)
  assert.equal(new Set(slots).size, slots.length, 'no slot handed out twice')
  assert.ok(ok.length >= 8, `the 8 warm slots of both sites were used (got ${ok.length})`)
  assert.ok(ok.slice(0, 4).every((v) => v.site === 'paris'), 'the nearest site first')
  assert.ok(ok.some((v) => v.site === 'tokyo'), 'then outward')
  for (const v of ok) assert.equal(v.start, 'warm')
  const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)
  for (const e of refused) {
    assert.ok(isApiError(e, 'Unavailable'), String(e))
    assert.equal((e as ApiError).details.retryAfterSeconds, 1)
  }
  // Every allocation is a durable Session resource.
  assert.equal((await s.store.list<Session>('Session')).items.length, ok.length)
})

test('sessions: an empty pool cold-starts within the deadline, else 503 with the reason; the pool refills', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 0, maxPerSite: 2, maxDistanceKm: 20000 })
  assert.equal((await s.pool('paris')).length, 0, 'scaled to zero')
  const pending = s.svc.create(near(PARIS, { deadlineMs: 5000 }), '127.0.0.1')
  await s.settle()
  assert.equal((await s.pool('paris')).length, 1, 'the waiting caller makes the pool grow at the nearest site')
  await s.readyAll()
  const v = await pending
  assert.equal(v.site, 'paris')
  assert.equal(v.start, 'cold')
  assert.ok(v.token)

  // A second caller with a short deadline: the cold start does not finish in time.
  const late = s.svc.create(near(PARIS, { deadlineMs: 200 }), '127.0.0.1')
  await s.settle()
  s.clock.advance(201)
  await assert.rejects(late, (e: unknown) => isApiError(e, 'Unavailable') && /did not finish within the 200 ms deadline/.test((e as Error).message))
  await s.readyAll()
  await s.settle()
  const next = await s.svc.create(near(PARIS), '127.0.0.1')
  assert.equal(next.start, 'warm', 'the instance the late caller started is now a warm slot')
  // Both paris instances busy and the pool at its cap: the next one goes outward (a cold start in Tokyo).
  const far = s.svc.create(near(PARIS, { deadlineMs: 5000 }), '127.0.0.1')
  await s.settle()
  await s.readyAll()
  assert.equal((await far).site, 'tokyo')
})

test('sessions: idempotent retries, renew, release and expiry recycle the slot', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 1, defaultTtlSeconds: 60 })
  await s.readyAll()
  await s.settle()
  const [a, b] = await Promise.all([
    s.svc.create(near(PARIS, { idempotencyKey: 'user-7' }), '127.0.0.1'),
    s.svc.create(near(PARIS, { idempotencyKey: 'user-7' }), '127.0.0.1'),
  ])
  assert.equal(a.id, b.id, 'concurrent retries get the same session')
  assert.equal(a.token, b.token)
  const again = await s.svc.create(near(PARIS, { idempotencyKey: 'user-7' }), '127.0.0.1')
  assert.equal(again.id, a.id)
  assert.equal((await s.store.list<Session>('Session')).items.length, 1)

  s.clock.advance(50_000)
  const renewed = await s.svc.renew(a.id, 60)
  assert.notEqual(renewed.token, a.token, 'a fresh token carries the new expiry')
  s.clock.advance(30_000)
  await s.settle()
  assert.equal(s.svc.view(a.id).phase, 'Active', 'renewed: still alive past the first expiry')
  s.clock.advance(31_000)
  await s.settle()
  assert.equal(s.svc.view(a.id).phase, 'Expired')
  await assert.rejects(s.svc.renew(a.id), (e: unknown) => isApiError(e, 'Conflict'))

  const c = await s.svc.create(near(PARIS), '127.0.0.1')
  assert.equal(c.site, 'paris', 'the expired slot was recycled')
  const released = await s.svc.release(c.id)
  assert.equal(released.phase, 'Released')
  const d = await s.svc.create(near(PARIS), '127.0.0.1')
  assert.equal(d.instance, c.instance)
  await s.svc.release(d.id)
  const retried = await s.svc.create(near(PARIS, { idempotencyKey: 'user-7' }), '127.0.0.1')
  assert.notEqual(retried.id, a.id, 'an ended session frees its idempotency key')
  assert.equal(retried.phase, 'Active')
})

test('sessions: many expire in one sweep; ended sessions are deleted after an hour', async (t) => {
  const s = await setup(t, { slotsPerInstance: 10, warmPerSite: 10, maxPerSite: 1, defaultTtlSeconds: 60 })
  await s.readyAll()
  await s.settle()
  const made = await Promise.all(Array.from({ length: 5 }, () => s.svc.create(near(PARIS), '127.0.0.1')))
  s.clock.advance(61_000)
  await s.settle()
  for (const v of made) assert.equal(s.svc.view(v.id).phase, 'Expired')
  assert.equal((await s.svc.create(near(PARIS), '127.0.0.1')).site, 'paris', 'their slots were freed')
  s.clock.advance(3_540_000) // an hour minus a minute after they ended
  await s.settle()
  assert.equal((await s.store.list<Session>('Session')).items.length, 6, 'kept for an hour')
  s.clock.advance(120_000)
  await s.settle()
  const left = (await s.store.list<Session>('Session')).items
  assert.deepEqual(left.map((x) => x.status?.phase), ['Expired'], 'the five ended an hour ago are gone; the sixth expired later and stays')
})

test('sessions: a restarted or removed instance loses its sessions, with the reason', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 2 })
  await s.readyAll()
  await s.settle()
  const v = await s.svc.create(near(TOKYO), '127.0.0.1')
  assert.equal(v.site, 'tokyo')
  const inst = (await s.store.get<Instance>('Instance', 'default', v.instance))!
  await s.store.update({ ...inst, status: { ...inst.status!, restarts: 1, pid: 4242 } }, { subresource: 'status' })
  await s.settle()
  const lost = s.svc.view(v.id)
  assert.equal(lost.phase, 'Lost')
  assert.match(lost.reason!, /restarted/)
  await assert.rejects(s.svc.create({ app: 'nope' }, '127.0.0.1'), (e: unknown) => isApiError(e, 'NotFound'))
  await assert.rejects(s.svc.create({ app: 'game', ttlSeconds: 10 ** 7 }, '127.0.0.1'), (e: unknown) => isApiError(e, 'Invalid'))
})

test('sessions: a cold start next door beats a warm slot far away; beyond the budget a 503 with the reason per site', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 2 })
  await s.readyAll()
  await s.settle()
  const first = await s.svc.create(near(PARIS), '127.0.0.1')
  assert.deepEqual([first.site, first.start], ['paris', 'warm'])
  assert.match(first.reason!, /^warm slot at paris \(0 km\), nearest within maxDistanceKm 1500/)
  assert.equal(first.placement?.distanceKm, 0)
  // Paris has no warm slot left, Tokyo has one (and the caller's budget reaches it): the Paris
  // player still waits for a cold start in Paris, expected to fit.
  const pending = s.svc.create(near(PARIS, { deadlineMs: 2000, maxDistanceKm: 20_000 }), '127.0.0.1')
  await s.settle()
  await s.readyAll()
  const second = await pending
  assert.deepEqual([second.site, second.start], ['paris', 'cold'])
  assert.match(second.reason!, /cold start at paris \(0 km\): no warm slot, measured cold start ~0 ms fits the 2000 ms left; preferred over the warm slot at tokyo \(9712 km\)/)
  // Paris at its cap: refused, with why for each site — not sent to Tokyo.
  const refused = await s.svc.create(near(PARIS), '127.0.0.1').catch((e: unknown) => e)
  assert.ok(isApiError(refused, 'Unavailable'))
  assert.match((refused as Error).message, /within 1500 km: paris \(0 km\): all 2 instances busy; tokyo \(9712 km\): beyond maxDistanceKm 1500/)
  // A caller that accepts the distance says so per request.
  const far = await s.svc.create(near(PARIS, { maxDistanceKm: 10_000 }), '127.0.0.1')
  assert.deepEqual([far.site, far.start], ['tokyo', 'warm'])
  assert.match(far.reason!, /nearest within maxDistanceKm 10000 \(passed over: paris \(0 km\): all 2 instances busy\)/)
  // Without a client position no budget can apply: as before, by name.
  const waiting = s.svc.create({ app: 'game', deadlineMs: 1 }, '10.1.2.3').catch((e: unknown) => e)
  await s.settle()
  s.clock.advance(2)
  const nowhere = await waiting
  assert.ok(isApiError(nowhere, 'Unavailable'), 'paris full; tokyo taken, its cold start not done in 1 ms')
  assert.doesNotMatch((nowhere as Error).message, /maxDistanceKm/)
})

test('sessions: the measured cold start per site decides whether a cold start is counted on', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 0, maxPerSite: 4 })
  const LYON = { lat: 45.76, lon: 4.84 } // ~390 km from Paris
  await s.store.create(siteObj('lyon', { geo: LYON }))
  await s.store.create(nodeObj('lyon-1', 'lyon'))
  s.clock.advance(250)
  await s.settle()
  const pending = s.svc.create(near(PARIS, { deadlineMs: 5000 }), '127.0.0.1')
  await s.settle()
  s.clock.advance(3000) // Paris takes 3 s to start its instance
  await s.readyAll()
  const first = await pending
  assert.deepEqual([first.site, first.start], ['paris', 'cold'])
  // The next Paris player with a 2 s deadline: Paris's measured 3 s start does not fit; Lyon's prior does.
  const second = s.svc.create(near(PARIS, { deadlineMs: 2000 }), '127.0.0.1')
  await s.settle()
  assert.equal((await s.pool('lyon')).length, 1, 'Lyon grows for it')
  await s.readyAll()
  const v = await second
  assert.deepEqual([v.site, v.start], ['lyon', 'cold'])
  assert.match(v.reason!, /passed over: paris \(0 km\): no warm slot, and a measured cold start ~3000 ms would not fit the 2000 ms left/)
})

test('sessions: after a burst the pool refills by the rate it was drained (capped), and shrinks back when demand goes', async (t) => {
  const s = await setup(t, { slotsPerInstance: 1, warmPerSite: 2, maxPerSite: 10, scaleDownAfterSeconds: 30 })
  for (let k = 0; k < 5; k++) {
    await s.readyAll()
    await s.settle()
    assert.equal((await s.svc.create(near(PARIS), '127.0.0.1')).site, 'paris')
  }
  await s.settle()
  assert.equal((await s.pool('paris')).length, 10, '5 busy + 5 warm (5 taken in the window, more than warmPerSite 2)')
  await s.readyAll()
  await s.settle()
  // Another 5: the pool is at its cap (10), the 5 warm slots take the burst at once.
  for (let k = 0; k < 5; k++) assert.equal((await s.svc.create(near(PARIS), '127.0.0.1')).start, 'warm')
  await s.settle()
  assert.equal((await s.pool('paris')).length, 10, 'bounded by maxPerSite')
  for (const v of s.svc.list({ app: 'game' }).slice(0, 6)) await s.svc.release(v.id)
  // Demand gone: the window empties (10 s), the idle ones stop after scaleDownAfterSeconds.
  for (let k = 0; k < 40; k++) { s.clock.advance(1000); await s.settle() }
  assert.equal((await s.pool('paris')).length, 6, '4 busy + warmPerSite 2')
})
