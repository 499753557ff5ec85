// dryRun=All on every write: the answer is what the write would return (validated, defaulted),
// but the store revision does not move and no watcher hears of it; any other value is a 400.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, appManifest, assertStatus, json, settle, startTestServer } from './helpers.js'

test('dryRun=All writes nothing on POST, PUT, PATCH (merge, json, apply) and DELETE', async (t) => {
  const ts = await startTestServer(t)
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: appManifest('a', { replicas: 1 }) })).statusCode, 201)
  const before = await settle(ts.srv)
  const stored = json(await ts.req({ method: 'GET', url: `${APPS}/a` }))

  const created = await ts.req({ method: 'POST', url: `${APPS}?dryRun=All`, payload: appManifest('b', { replicas: 3 }) })
  assert.equal(created.statusCode, 201, created.body)
  const b = json(created)
  assert.equal(b.metadata.name, 'b')
  assert.equal(b.spec.template.runtime, 'process', 'defaulted like a real create')
  assert.equal(b.metadata.resourceVersion, undefined, 'a dry-run create has no resourceVersion')

  const put = await ts.req({ method: 'PUT', url: `${APPS}/a?dryRun=All`, payload: { ...stored, spec: { ...stored.spec, replicas: 5 } } })
  assert.equal(put.statusCode, 200, put.body)
  assert.equal(json(put).spec.replicas, 5)
  assert.equal(json(put).metadata.generation, 2, 'the generation the write would give')

  const merge = await ts.req({ method: 'PATCH', url: `${APPS}/a?dryRun=All`, headers: { 'content-type': 'application/merge-patch+json' }, payload: { spec: { replicas: 7 } } })
  assert.equal(json(merge).spec.replicas, 7, merge.body)
  const jp = await ts.req({ method: 'PATCH', url: `${APPS}/a?dryRun=All`, headers: { 'content-type': 'application/json-patch+json' }, payload: [{ op: 'replace', path: '/spec/replicas', value: 9 }] })
  assert.equal(jp.statusCode, 200, jp.body)
  assert.equal(json(jp).spec.replicas, 9, jp.body)
  const applied = await ts.req({ method: 'PATCH', url: `${APPS}/a?dryRun=All&fieldManager=t`, headers: { 'content-type': 'application/apply-patch+yaml' }, payload: JSON.stringify(appManifest('a', { replicas: 4 })) })
  assert.equal(json(applied).spec.replicas, 4, applied.body)
  const del = await ts.req({ method: 'DELETE', url: `${APPS}/a?dryRun=All` })
  assert.equal(del.statusCode, 200, del.body)
  const delBody = await ts.req({ method: 'DELETE', url: `${APPS}/a`, payload: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] } })
  assert.equal(delBody.statusCode, 200, delBody.body)

  assert.equal(await settle(ts.srv), before, 'the store revision did not move')
  const after = json(await ts.req({ method: 'GET', url: `${APPS}/a` }))
  assert.deepEqual(after, stored)
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}/b` }), 404, 'NotFound')
})

test('dryRun still validates: an invalid object is 422 with the field path, a conflict is 409', async (t) => {
  const ts = await startTestServer(t)
  const bad = appManifest('x')
  bad.spec.replicas = -1
  const res = assertStatus(await ts.req({ method: 'POST', url: `${APPS}?dryRun=All`, payload: bad }), 422, 'Invalid')
  assert.ok(res.details.causes.some((c: any) => c.field === 'spec.replicas'), JSON.stringify(res.details))
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('x') })
  assertStatus(await ts.req({ method: 'POST', url: `${APPS}?dryRun=All`, payload: appManifest('x') }), 409, 'AlreadyExists')
  const cur = json(await ts.req({ method: 'GET', url: `${APPS}/x` }))
  assertStatus(await ts.req({ method: 'PUT', url: `${APPS}/x?dryRun=All`, payload: { ...cur, metadata: { ...cur.metadata, resourceVersion: '1' } } }), 409, 'Conflict')
  assertStatus(await ts.req({ method: 'DELETE', url: `${APPS}/nope?dryRun=All` }), 404, 'NotFound')
})

test('a dryRun other than All is a 400 naming the parameter, and nothing is written', async (t) => {
  const ts = await startTestServer(t)
  const before = await settle(ts.srv)
  for (const q of ['dryRun=true', 'dryRun=', 'dryRun=all', 'dryRun=All&dryRun=None']) {
    const s = assertStatus(await ts.req({ method: 'POST', url: `${APPS}?${q}`, payload: appManifest('y') }), 400, 'BadRequest')
    assert.equal(s.details.causes[0].field, 'dryRun', q)
  }
  assertStatus(await ts.req({ method: 'POST', url: `${APPS}?fieldValidation=Loose`, payload: appManifest('y') }), 400, 'BadRequest')
  assert.equal(await settle(ts.srv), before)
})
