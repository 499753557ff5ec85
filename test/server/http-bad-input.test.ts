// Bad input gets a clear 4xx Status from the one error registry, writes nothing (the store
// revision does not move and the existing object is untouched) and never takes the server down.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import type { ErrorCode } from '../../src/api/errors.js'
import { APPS, SITES, V1, appManifest, assertStatus, json, listRevision, settle, siteManifest, startTestServer, type TestServer } from './helpers.js'

const JSON_CT = { 'content-type': 'application/json' }
const YAML_CT = { 'content-type': 'application/yaml' }
const APPLY = { 'content-type': 'application/apply-patch+yaml' }
const MERGE = { 'content-type': 'application/merge-patch+json' }

interface Case {
  name: string
  req: InjectOptions
  status: number
  code: ErrorCode
  /** Checks on the Status body beyond status and code. */
  check?: (body: any) => void
}

const web = () => appManifest('web')

const cases: Case[] = [
  {
    name: 'unknown kind in the body', status: 404, code: 'UnknownKind',
    req: { method: 'POST', url: APPS, payload: { ...appManifest('gizmo'), kind: 'Gizmo' } },
    check: (b) => { assert.equal(b.reason, 'NotFound'); assert.match(b.message, /unknown kind "Gizmo"/) },
  },
  {
    name: 'the internal kind Token in the body', status: 404, code: 'UnknownKind',
    req: { method: 'POST', url: SITES, payload: { apiVersion: 'edgeplane.io/v1', kind: 'Token', metadata: { name: 'abcdef012345' }, spec: { type: 'admin', hash: 'x' } } },
  },
  {
    name: 'unknown plural in the URL', status: 404, code: 'UnknownKind',
    req: { method: 'POST', url: `${V1}/namespaces/default/widgets`, payload: web() },
    check: (b) => { assert.match(b.message, /no resource type "widgets"/); assert.match(b.message, /apps/) },
  },
  {
    name: 'unknown plural in a GET', status: 404, code: 'UnknownKind',
    req: { method: 'GET', url: `${V1}/widgets/w1` },
  },
  {
    name: 'unknown field', status: 422, code: 'Invalid',
    req: { method: 'POST', url: APPS, payload: { ...appManifest('new'), spec: { ...appManifest('new').spec, bogus: 1 } } },
    check: (b) => {
      assert.equal(b.reason, 'Invalid')
      assert.ok(b.details.causes.some((c: any) => c.field === 'spec.bogus' && c.reason === 'FieldValueUnknown'), JSON.stringify(b.details))
      assert.match(b.message, /spec\.bogus/)
      assert.equal(b.details.kind, 'App')
      assert.equal(b.details.name, 'new')
    },
  },
  {
    name: 'schema violation deep in the template', status: 422, code: 'Invalid',
    req: { method: 'POST', url: APPS, payload: (() => { const a = appManifest('new'); a.spec.template.ports[0].name = 'Not A Port'; return a })() },
    check: (b) => {
      assert.match(b.message, /spec\.template\.ports\[0\]\.name/)
      assert.equal(b.details.causes[0].field, 'spec.template.ports[0].name')
    },
  },
  {
    name: 'semantic violation: probe port not declared', status: 422, code: 'Invalid',
    req: { method: 'POST', url: APPS, payload: (() => { const a = appManifest('new'); a.spec.template.readiness = { http: { port: 'admin' } }; return a })() },
    check: (b) => assert.match(b.message, /spec\.template\.readiness\.http\.port: port "admin" is not declared/),
  },
  {
    name: 'wrong apiVersion', status: 422, code: 'Invalid',
    req: { method: 'POST', url: APPS, payload: { ...appManifest('new'), apiVersion: 'apps/v1' } },
    check: (b) => assert.equal(b.details.causes[0].field, 'apiVersion'),
  },
  { name: 'malformed JSON', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: JSON_CT, payload: '{"apiVersion": "edgeplane.io/v1", "kind": ' }, check: (b) => assert.match(b.message, /request body: not valid JSON/) },
  { name: 'malformed YAML', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: YAML_CT, payload: 'kind: App\nmetadata:\n  name: [web\n' }, check: (b) => assert.match(b.message, /request body: not valid YAML/) },
  { name: 'YAML alias bomb', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: YAML_CT, payload: 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n' } },
  { name: 'YAML alias without anchor', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: YAML_CT, payload: 'kind: *app\n' } },
  {
    name: 'a body nested 50 000 levels deep', status: 400, code: 'BadRequest',
    req: { method: 'POST', url: APPS, headers: JSON_CT, payload: `{"apiVersion":"edgeplane.io/v1","kind":"App","metadata":{"name":"d"},"spec":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}` },
    check: (b) => assert.match(b.message, /nested deeper than/),
  },
  {
    name: 'a merge patch nested 50 000 levels deep', status: 400, code: 'BadRequest',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: `{"spec":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}` },
  },
  { name: 'a JSON array of 300 000 items', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: JSON_CT, payload: `[${'1,'.repeat(300_000)}1]` } },
  { name: 'empty body (JSON)', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: JSON_CT, payload: '' }, check: (b) => assert.match(b.message, /empty/) },
  { name: 'whitespace body (YAML)', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: YAML_CT, payload: ' \n\n' } },
  { name: 'no body and no content type', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS } },
  { name: 'a body that is only null', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: JSON_CT, payload: 'null' } },
  { name: 'a body that is a string', status: 400, code: 'BadRequest', req: { method: 'POST', url: APPS, headers: JSON_CT, payload: '"app"' } },
  {
    name: 'two YAML documents in one request', status: 400, code: 'BadRequest',
    req: { method: 'POST', url: APPS, headers: YAML_CT, payload: 'apiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: a}\nspec: {template: {command: x}}\n---\napiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: b}\nspec: {template: {command: x}}\n' },
    check: (b) => assert.match(b.message, /exactly one document, found 2/),
  },
  {
    name: 'a List in one request', status: 400, code: 'BadRequest',
    req: { method: 'POST', url: APPS, payload: { kind: 'List', items: [appManifest('a'), appManifest('b')] } },
  },
  {
    name: 'body kind disagrees with the URL', status: 400, code: 'BadRequest',
    req: { method: 'POST', url: APPS, payload: siteManifest('par-1') },
    check: (b) => assert.match(b.message, /the body is a Site but the URL is for apps/),
  },
  {
    name: 'metadata.name disagrees with the URL (PUT)', status: 400, code: 'BadRequest',
    req: { method: 'PUT', url: `${APPS}/web`, payload: appManifest('api') },
    check: (b) => assert.match(b.message, /metadata\.name "api" does not match the URL's name "web"/),
  },
  {
    name: 'metadata.name disagrees with the URL (apply)', status: 400, code: 'BadRequest',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: APPLY, payload: 'apiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: api}\nspec: {template: {command: x}}\n' },
  },
  {
    name: 'a merge patch that renames the object', status: 400, code: 'BadRequest',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { metadata: { name: 'api' } } },
  },
  {
    name: 'a merge patch that makes the object invalid', status: 422, code: 'Invalid',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { spec: { replicas: -1 } } },
    check: (b) => assert.equal(b.details.causes[0].field, 'spec.replicas'),
  },
  {
    name: 'a merge patch that changes the kind', status: 400, code: 'BadRequest',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { kind: 'Site' } },
  },
  {
    name: 'an apply with an invalid spec', status: 422, code: 'Invalid',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: APPLY, payload: 'apiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: web}\nspec: {replicas: many, template: {command: x}}\n' },
    check: (b) => assert.ok(b.details.causes.some((c: any) => c.field === 'spec.replicas')),
  },
  {
    name: 'an apply that would create an invalid object', status: 422, code: 'Invalid',
    req: { method: 'PATCH', url: `${APPS}/fresh`, headers: APPLY, payload: 'apiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: fresh}\nspec: {template: {}}\n' },
    check: (b) => assert.equal(b.details.causes[0].field, 'spec.template.command'),
  },
  {
    name: 'namespace in the body disagrees with the URL', status: 400, code: 'BadRequest',
    req: { method: 'POST', url: APPS, payload: appManifest('new', { namespace: 'prod' }) },
    check: (b) => assert.match(b.message, /metadata\.namespace "prod" does not match the URL's namespace "default"/),
  },
  {
    name: 'a namespace on a cluster-scoped kind', status: 422, code: 'Invalid',
    req: { method: 'POST', url: SITES, payload: { ...siteManifest('par-9'), metadata: { name: 'par-9', namespace: 'default' } } },
  },
  { name: 'a namespaced URL for a cluster-scoped kind', status: 404, code: 'NotFound', req: { method: 'GET', url: `${V1}/namespaces/default/sites/par-1` } },
  {
    name: 'wrong content type on PATCH', status: 415, code: 'UnsupportedMediaType',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: JSON_CT, payload: { spec: { replicas: 5 } } },
    check: (b) => { assert.equal(b.reason, 'UnsupportedMediaType'); for (const t of ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']) assert.ok(b.message.includes(t), b.message) },
  },
  { name: 'PATCH with a YAML content type that is not apply', status: 415, code: 'UnsupportedMediaType', req: { method: 'PATCH', url: `${APPS}/web`, headers: YAML_CT, payload: 'spec: {replicas: 5}\n' } },
  { name: 'an unsupported content type', status: 415, code: 'UnsupportedMediaType', req: { method: 'POST', url: APPS, headers: { 'content-type': 'text/plain' }, payload: 'hello' } },
  { name: 'a strategic merge patch that is not an object', status: 400, code: 'BadRequest', req: { method: 'PATCH', url: `${APPS}/web`, headers: { 'content-type': 'application/strategic-merge-patch+json' }, payload: '[1]' } },
  { name: 'a stale resourceVersion', status: 409, code: 'Conflict', req: { method: 'PUT', url: `${APPS}/web`, payload: { ...appManifest('web', { command: 'bun' }), metadata: { name: 'web', resourceVersion: '1' } } } },
  { name: 'a create of an existing name', status: 409, code: 'AlreadyExists', req: { method: 'POST', url: APPS, payload: appManifest('web', { command: 'bun' }) } },
  { name: 'POST to a named path', status: 405, code: 'MethodNotAllowed', req: { method: 'POST', url: `${APPS}/web`, payload: web() } },
  { name: 'PUT to the collection', status: 405, code: 'MethodNotAllowed', req: { method: 'PUT', url: APPS, payload: web() } },
  { name: 'DELETE of the collection', status: 405, code: 'MethodNotAllowed', req: { method: 'DELETE', url: APPS } },
  { name: 'an unknown subresource', status: 404, code: 'NotFound', req: { method: 'GET', url: `${APPS}/web/exec` } },
  { name: 'a path too deep', status: 404, code: 'NotFound', req: { method: 'GET', url: `${APPS}/web/status/extra` } },
  { name: 'logs of an app', status: 404, code: 'NotFound', req: { method: 'GET', url: `${APPS}/web/log` } },
  { name: 'status of a kind without one', status: 404, code: 'NotFound', req: { method: 'GET', url: `${V1}/namespaces/default/events/e1/status` } },
  { name: 'namespaces without a plural', status: 404, code: 'NotFound', req: { method: 'GET', url: `${V1}/namespaces/default` } },
  { name: 'a URL that does not decode', status: 400, code: 'BadRequest', req: { method: 'GET', url: `${APPS}/%E0%A4%A` } },
  { name: 'a name that decodes to a stray percent sign', status: 404, code: 'NotFound', req: { method: 'GET', url: `${APPS}/%25E0` } },
  { name: 'an unknown route', status: 404, code: 'NotFound', req: { method: 'GET', url: '/v2/things' } },
  { name: 'a bad label selector', status: 400, code: 'BadRequest', req: { method: 'GET', url: `${APPS}?labelSelector=${encodeURIComponent('tier in (edge')}` } },
  { name: 'watch from a resourceVersion that is not a number', status: 400, code: 'BadRequest', req: { method: 'GET', url: `${APPS}?watch=true&resourceVersion=abc` } },
  { name: 'watch from a negative resourceVersion', status: 400, code: 'BadRequest', req: { method: 'GET', url: `${APPS}?watch=true&resourceVersion=-1` } },
  {
    name: 'a merge patch with a non-object body', status: 400, code: 'BadRequest',
    req: { method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: '[1,2]' },
  },
]

async function snapshot(ts: TestServer): Promise<{ rev: string; web: string; sites: string }> {
  const web = await ts.req({ method: 'GET', url: `${APPS}/web` })
  assert.equal(web.statusCode, 200)
  return { rev: await listRevision(ts), web: web.body, sites: (await ts.req({ method: 'GET', url: SITES })).body }
}

test('bad input: a clear 4xx Status, no write, and the server keeps answering', async (t) => {
  const ts = await startTestServer(t)
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: web() })).statusCode, 201)
  assert.equal((await ts.req({ method: 'POST', url: SITES, payload: siteManifest('par-1') })).statusCode, 201)
  await settle(ts.srv)
  const before = await snapshot(ts)
  for (const c of cases) {
    await t.test(c.name, async () => {
      const res = await ts.req(c.req)
      assert.match(String(res.headers['content-type']), /^application\/json/, `${c.name}: ${res.body.slice(0, 200)}`)
      const body = assertStatus(res, c.status, c.code)
      c.check?.(body)
      assert.deepEqual(await snapshot(ts), before, 'nothing changed')
      const health = await ts.req({ method: 'GET', url: '/healthz', token: null })
      assert.equal(health.statusCode, 200)
    })
  }
  // Still fully working after all of that: a good create succeeds.
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: appManifest('after') })).statusCode, 201)
})

test('a body larger than bodyLimit → 413 naming the limit; the same request under the limit works', async (t) => {
  const ts = await startTestServer(t, { bodyLimit: 2048 })
  await settle(ts.srv)
  const rev = await listRevision(ts)
  const big = appManifest('big')
  big.metadata.annotations = { note: 'x'.repeat(3000) }
  for (const req of [
    { method: 'POST' as const, url: APPS, payload: big },
    { method: 'PATCH' as const, url: `${APPS}/big`, headers: APPLY, payload: JSON.stringify(big) },
    { method: 'POST' as const, url: '/v1/tokens', payload: { description: 'y'.repeat(4000) } },
  ]) {
    const body = assertStatus(await ts.req(req), 413, 'PayloadTooLarge')
    assert.equal(body.reason, 'RequestEntityTooLarge')
    assert.match(body.message, /limit of 2048 bytes/)
  }
  assert.equal(await listRevision(ts), rev)
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}/big` }), 404, 'NotFound')
  big.metadata.annotations.note = 'x'.repeat(1000)
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: big })).statusCode, 201)
})

test('an oversized body with a lying Content-Length is refused too', async (t) => {
  const ts = await startTestServer(t, { bodyLimit: 2048 })
  const res = await ts.req({ method: 'POST', url: APPS, headers: { 'content-type': 'application/json', 'content-length': '100' }, payload: JSON.stringify({ x: 'y'.repeat(5000) }) })
  assertStatus(res, 413, 'PayloadTooLarge')
  assert.equal((await ts.req({ method: 'GET', url: '/healthz', token: null })).statusCode, 200)
})

test('a failed apply-create leaves no object behind, even when retried', async (t) => {
  const ts = await startTestServer(t)
  const bad = 'apiVersion: edgeplane.io/v1\nkind: App\nmetadata: {name: fresh}\nspec: {template: {command: x, ports: [{name: http}, {name: http}]}}\n'
  for (let i = 0; i < 3; i++) {
    const body = assertStatus(await ts.req({ method: 'PATCH', url: `${APPS}/fresh`, headers: APPLY, payload: bad }), 422, 'Invalid')
    assert.equal(body.details.causes[0].field, 'spec.template.ports[1].name')
  }
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}/fresh` }), 404, 'NotFound')
  assert.deepEqual(json(await ts.req({ method: 'GET', url: APPS })).items, [])
})
