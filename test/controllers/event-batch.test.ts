// EventBatch: per-instance events of one reconcile are recorded one by one while few, as one summary
// per reason when many (placing an app on 10,000 sites writes one Event, not 10,000).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventBatch, EVENT_BATCH_LIMIT } from '../../src/controllers/app/event-batch.js'
import { appObj, eventsOf, fleet, settle } from './helpers.js'

test('event batch: few events are recorded each, with their own messages', async (t) => {
  const f = await fleet(t)
  const app = await f.store.create(appObj('web'))
  const batch = new EventBatch(f.events, app)
  for (let k = 0; k < EVENT_BATCH_LIMIT; k++) batch.add('Placed', `instance web-${k} placed`)
  batch.add('Removed', 'instance web-old removed')
  assert.equal((await eventsOf(f.store, 'web')).length, 0, 'nothing is written before flush')
  batch.flush()
  await settle(f.store)
  const evs = await eventsOf(f.store, 'web')
  assert.equal(evs.filter((e) => e.reason === 'Placed').length, EVENT_BATCH_LIMIT)
  assert.deepEqual(evs.filter((e) => e.reason === 'Removed').map((e) => e.message), ['instance web-old removed'])
  batch.flush()
  await settle(f.store)
  assert.equal((await eventsOf(f.store, 'web')).length, EVENT_BATCH_LIMIT + 1, 'a second flush records nothing again')
})

test('event batch: many events of one reason become one summary that counts them', async (t) => {
  const f = await fleet(t)
  const app = await f.store.create(appObj('web'))
  const batch = new EventBatch(f.events, app)
  for (let k = 0; k < 10_000; k++) batch.add('Placed', `instance web-${k} placed`)
  batch.add('Removed', 'instance web-old removed')
  batch.flush()
  await settle(f.store)
  const evs = await eventsOf(f.store, 'web')
  const placed = evs.filter((e) => e.reason === 'Placed')
  assert.equal(placed.length, 1)
  assert.equal(placed[0].message, '10000 instances: instance web-0 placed; instance web-1 placed; instance web-2 placed; and 9,997 more')
  assert.equal(evs.filter((e) => e.reason === 'Removed').length, 1, 'other reasons below the limit stay as they are')
})
