// Issue 22, mediums and lows of the API: admin tokens with a TTL expire; ttlSeconds out of range is
// a 4xx, not a 500; a Revision's spec cannot be changed in place; a watch from a revision the
// store has not reached is answered at once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { API_VERSION } from '../../src/api/meta.js'
import { ManualClock } from '../../src/lib/clock.js'
import { V1, APPS, appManifest, assertStatus, json, settle, startTestServer } from './helpers.js'

test('an admin token made with a TTL expires (it used to live for ever)', async (t) => {
  const clock = new ManualClock()
  const ts = await startTestServer(t, { clock })
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin', ttlSeconds: 60 } })
  assert.equal(res.statusCode, 201, res.body)
  const { token, expiresAt } = json(res)
  assert.equal(expiresAt, new Date(clock.now() + 60_000).toISOString())
  assert.equal((await ts.req({ method: 'GET', url: APPS, token })).statusCode, 200)
  clock.advance(61_000)
  assertStatus(await ts.req({ method: 'GET', url: APPS, token }), 401, 'TokenExpired')
  // Without a TTL it does not expire.
  const forever = json(await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin' } }))
  assert.equal(forever.expiresAt, undefined)
})

test('ttlSeconds 1e20 (or any beyond ten years) → 422 naming the field, not 500', async (t) => {
  const ts = await startTestServer(t)
  for (const payload of [{ ttlSeconds: 1e20 }, { type: 'admin', ttlSeconds: 1e20 }, { ttlSeconds: 10 * 365 * 86400 + 1 }, { maxUses: 1e20 }]) {
    const body = assertStatus(await ts.req({ method: 'POST', url: '/v1/tokens', payload }), 422, 'Invalid')
    assert.ok(['ttlSeconds', 'maxUses'].includes(body.details.causes[0].field), JSON.stringify(body))
  }
})

test('a Revision is immutable: merge-patch, PUT and apply of its spec → 422; its labels may change', async (t) => {
  const ts = await startTestServer(t)
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: appManifest('web') })).statusCode, 201)
  await settle(ts.srv)
  const list = json(await ts.req({ method: 'GET', url: `${V1}/namespaces/default/revisions` })).items
  assert.equal(list.length, 1)
  const rev = list[0]
  const url = `${V1}/namespaces/default/revisions/${rev.metadata.name}`
  const patched = await ts.req({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, payload: { spec: { template: { command: '/bin/evil' } } } })
  const body = assertStatus(patched, 422, 'Invalid')
  assert.equal(body.details.causes[0].field, 'spec')
  assert.match(body.message, /immutable/)
  const changed = structuredClone(rev)
  changed.spec.template.command = '/bin/evil'
  assertStatus(await ts.req({ method: 'PUT', url, payload: changed }), 422, 'Invalid')
  delete changed.metadata.resourceVersion
  assertStatus(await ts.req({ method: 'PATCH', url, headers: { 'content-type': 'application/apply-patch+yaml' }, payload: changed }), 422, 'Invalid')
  const after = json(await ts.req({ method: 'GET', url }))
  assert.deepEqual(after.spec, rev.spec)
  const relabel = await ts.req({ method: 'PATCH', url, headers: { 'content-type': 'application/merge-patch+json' }, payload: { metadata: { labels: { note: 'ok' } } } })
  assert.equal(relabel.statusCode, 200, relabel.body)
  assert.equal(API_VERSION, after.apiVersion)
})

test('a watch from a resourceVersion beyond the current revision is answered at once with a clear Status', async (t) => {
  const ts = await startTestServer(t)
  const current = await ts.srv.store.revision()
  const res = await ts.req({ method: 'GET', url: `${APPS}?watch=true&resourceVersion=${current + 1000}` })
  const body = assertStatus(res, 504, 'Timeout')
  assert.match(body.message, /Too large resource version.*current revision/)
  assert.equal(res.headers['retry-after'], '1')
  // Beyond any revision a store can reach (it used to hang with no headers): a 400 naming it.
  const huge = assertStatus(await ts.req({ method: 'GET', url: `${APPS}?watch=true&resourceVersion=100000000000000000000` }), 400, 'BadRequest')
  assert.match(huge.message, /resourceVersion "100000000000000000000" is not a revision number/)
})
