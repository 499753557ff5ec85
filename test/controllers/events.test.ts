// EventRecorder: one Event per new reason/message, repeats aggregated into a count within the
// window, and garbage collection after the TTL, all on a ManualClock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventRecorder } from '../../src/controllers/events.js'
import { appObj, eventsOf, fleet, log, nodeObj, settle } from './helpers.js'

test('events: an event names its object, type, reason, message and source', async (t) => {
  const f = await fleet(t)
  const app = await f.store.create(appObj('web'))
  f.events.record(app, 'Warning', 'FailedScheduling', '0/3 sites available')
  f.events.record(nodeObj('n1', 's0'), 'Normal', 'NodeReady', 'ok')
  await settle(f.store)
  const [ev] = await eventsOf(f.store, 'web')
  assert.equal(ev.metadata.namespace, 'default')
  assert.match(ev.metadata.name, /^web\./)
  assert.deepEqual(ev.involvedObject, { kind: 'App', name: 'web', namespace: 'default', uid: app.metadata.uid })
  assert.equal(ev.type, 'Warning')
  assert.equal(ev.reason, 'FailedScheduling')
  assert.equal(ev.message, '0/3 sites available')
  assert.equal(ev.count, 1)
  assert.equal(ev.firstTimestamp, new Date(f.clock.now()).toISOString())
  assert.deepEqual(ev.source, { component: 'test' })
  const [nodeEv] = await eventsOf(f.store, 'n1')
  assert.equal(nodeEv.metadata.namespace, 'default', 'events of cluster-scoped objects live in default')
  assert.deepEqual(nodeEv.involvedObject, { kind: 'Node', name: 'n1' })
})

test('events: repeats within the window bump the count; after it, a new event', async (t) => {
  const f = await fleet(t)
  const events = new EventRecorder({ store: f.store, clock: f.clock, log, component: 'test', aggregateMs: 60_000 })
  const app = appObj('web')
  events.record(app, 'Normal', 'Placed', 'x')
  await settle(f.store)
  f.clock.advance(10_000)
  events.record(app, 'Normal', 'Placed', 'x')
  await settle(f.store)
  f.clock.advance(10_000)
  events.record(app, 'Normal', 'Placed', 'x')
  events.record(app, 'Normal', 'Placed', 'other message')
  await settle(f.store)
  let list = await eventsOf(f.store, 'web')
  assert.equal(list.length, 2)
  const x = list.find((e) => e.message === 'x')!
  assert.equal(x.count, 3)
  assert.equal(x.firstTimestamp, new Date(f.clock.now() - 20_000).toISOString())
  assert.equal(x.lastTimestamp, new Date(f.clock.now()).toISOString())
  f.clock.advance(60_001)
  events.record(app, 'Normal', 'Placed', 'x')
  await settle(f.store)
  list = await eventsOf(f.store, 'web')
  assert.equal(list.filter((e) => e.message === 'x').length, 2)
})

test('events: GC deletes events not seen for longer than the TTL', async (t) => {
  const f = await fleet(t)
  const events = new EventRecorder({ store: f.store, clock: f.clock, log, component: 'test', ttlMs: 5 * 60_000 })
  events.startGc()
  t.after(() => events.stop())
  const app = appObj('web')
  events.record(app, 'Normal', 'Old', 'old')
  await settle(f.store)
  for (let i = 0; i < 4; i++) { f.clock.advance(60_000); await settle(f.store) }
  events.record(app, 'Normal', 'New', 'new')
  await settle(f.store)
  for (let i = 0; i < 2; i++) { f.clock.advance(60_000); await settle(f.store) }
  assert.deepEqual((await eventsOf(f.store, 'web')).map((e) => e.reason), ['New'])
  events.stop()
  assert.equal(f.clock.pending(), 0)
})
