// The resource API through inject(), per the Kubernetes API conventions: CRUD on a namespaced kind
// (App) and a cluster-scoped one (Site) — create, get, list with selectors, replace with
// compare-and-swap, apply, merge patch, delete, the status subresource — then discovery, the
// OpenAPI document, /version, and the Instance log subresource of a node that is not connected.
// Auth, bad input and watch have their own files (http-auth, http-bad-input, http-watch).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { API_VERSION } from '../../src/api/meta.js'
import { publicKinds } from '../../src/api/kinds/index.js'
import { VERSION } from '../../src/version.js'
import { APPS, SITES, V1, appManifest, assertStatus, json, settle, siteManifest, startTestServer, type TestServer } from './helpers.js'

const YAML = { 'content-type': 'application/apply-patch+yaml' }
const MERGE = { 'content-type': 'application/merge-patch+json' }

async function create(ts: TestServer, url: string, body: unknown): Promise<any> {
  const res = await ts.req({ method: 'POST', url, payload: body as any })
  assert.equal(res.statusCode, 201, res.body)
  return json(res)
}

async function get(ts: TestServer, url: string): Promise<any> {
  const res = await ts.req({ method: 'GET', url })
  assert.equal(res.statusCode, 200, res.body)
  return json(res)
}

const names = (list: any) => list.items.map((i: any) => `${i.metadata.namespace ?? ''}/${i.metadata.name}`).sort()

test('POST creates an app: 201 with uid, resourceVersion, generation and defaults', async (t) => {
  const ts = await startTestServer(t)
  const before = await ts.srv.store.revision()
  const res = await ts.req({ method: 'POST', url: APPS, payload: appManifest('web') })
  assert.equal(res.statusCode, 201)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  const app = json(res)
  assert.equal(app.apiVersion, API_VERSION)
  assert.equal(app.kind, 'App')
  assert.equal(app.metadata.name, 'web')
  assert.equal(app.metadata.namespace, 'default')
  assert.match(app.metadata.uid, /^[0-9a-f-]{36}$/)
  assert.equal(app.metadata.resourceVersion, String(before + 1))
  assert.equal(app.metadata.generation, 1)
  assert.ok(!Number.isNaN(Date.parse(app.metadata.creationTimestamp)))
  assert.equal(app.spec.template.runtime, 'process')
  assert.equal(app.spec.template.ports[0].protocol, 'tcp')
  const got = await get(ts, `${APPS}/web`)
  assert.equal(got.metadata.uid, app.metadata.uid)
  assert.deepEqual(got.spec, app.spec)
})

test('POST of an existing name → 409 AlreadyExists and the original stays', async (t) => {
  const ts = await startTestServer(t)
  const first = await create(ts, APPS, appManifest('web'))
  await settle(ts.srv)
  const rev = await ts.srv.store.revision()
  const body = assertStatus(await ts.req({ method: 'POST', url: APPS, payload: appManifest('web', { command: 'other' }) }), 409, 'AlreadyExists')
  assert.equal(body.reason, 'AlreadyExists')
  assert.match(body.message, /App "web" already exists/)
  assert.equal(await ts.srv.store.revision(), rev)
  const got = await get(ts, `${APPS}/web`)
  assert.equal(got.metadata.uid, first.metadata.uid)
  assert.equal(got.spec.template.command, 'node')
  // The same name in another namespace is another object.
  await create(ts, `${V1}/namespaces/prod/apps`, appManifest('web'))
})

test('GET of a missing object → 404 Status naming the kind and the name', async (t) => {
  const ts = await startTestServer(t)
  const app = assertStatus(await ts.req({ method: 'GET', url: `${APPS}/nope` }), 404, 'NotFound')
  assert.equal(app.reason, 'NotFound')
  assert.equal(app.message, 'app "nope" not found in namespace "default"')
  assert.equal(app.details.kind, 'App')
  assert.equal(app.details.name, 'nope')
  const site = assertStatus(await ts.req({ method: 'GET', url: `${SITES}/atlantis` }), 404, 'NotFound')
  assert.equal(site.message, 'site "atlantis" not found')
  assert.equal(site.details.kind, 'Site')
})

test('list: an AppList with the store revision; per namespace or across all of them', async (t) => {
  const ts = await startTestServer(t)
  const empty = await get(ts, APPS)
  assert.deepEqual(Object.keys(empty).sort(), ['apiVersion', 'items', 'kind', 'metadata'])
  assert.equal(empty.kind, 'AppList')
  assert.equal(empty.apiVersion, API_VERSION)
  assert.deepEqual(empty.items, [])
  await create(ts, APPS, appManifest('web'))
  await create(ts, APPS, appManifest('api'))
  await create(ts, `${V1}/namespaces/prod/apps`, appManifest('web'))
  await settle(ts.srv)
  const list = await get(ts, APPS)
  assert.equal(list.metadata.resourceVersion, String(await ts.srv.store.revision()))
  assert.deepEqual(names(list), ['default/api', 'default/web'])
  assert.deepEqual(names(await get(ts, `${V1}/namespaces/prod/apps`)), ['prod/web'])
  assert.deepEqual(names(await get(ts, `${V1}/apps`)), ['default/api', 'default/web', 'prod/web'])
  assert.deepEqual(names(await get(ts, `${V1}/namespaces/empty/apps`)), [])
  // Unfiltered, the objects are sent as stored (not parsed): JSON all the same, and the same objects.
  const raw = await ts.req({ method: 'GET', url: APPS })
  assert.match(String(raw.headers['content-type']), /^application\/json/)
  assert.deepEqual(JSON.parse(raw.body).items, (await ts.srv.store.list('App', { namespace: 'default' })).items)
})

test('labelSelector and fieldSelector filter lists', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web', { labels: { tier: 'edge', team: 'a' } }))
  await create(ts, APPS, appManifest('api', { labels: { tier: 'central', team: 'a' } }))
  await create(ts, APPS, appManifest('batch'))
  await create(ts, `${V1}/namespaces/prod/apps`, appManifest('ops', { labels: { tier: 'edge' } }))
  const q = async (query: string, base = APPS) => names(await get(ts, `${base}?${query}`))
  assert.deepEqual(await q('labelSelector=tier%3Dedge'), ['default/web'])
  assert.deepEqual(await q('labelSelector=tier%3Dedge', `${V1}/apps`), ['default/web', 'prod/ops'])
  assert.deepEqual(await q(`labelSelector=${encodeURIComponent('tier in (edge,central)')}`), ['default/api', 'default/web'])
  assert.deepEqual(await q(`labelSelector=${encodeURIComponent('!tier')}`), ['default/batch'])
  assert.deepEqual(await q(`labelSelector=${encodeURIComponent('team=a,tier!=edge')}`), ['default/api'])
  assert.deepEqual(await q('fieldSelector=metadata.name%3Dapi'), ['default/api'])
  assert.deepEqual(await q(`fieldSelector=${encodeURIComponent('metadata.namespace!=default')}`, `${V1}/apps`), ['prod/ops'])
  assert.deepEqual(await q(`labelSelector=team%3Da&fieldSelector=${encodeURIComponent('metadata.name!=web')}`), ['default/api'])
  await create(ts, SITES, siteManifest('par-1', { region: 'eu-west', labels: { country: 'fr' } }))
  await create(ts, SITES, siteManifest('nyc-1', { region: 'us-east' }))
  assert.deepEqual(await q('fieldSelector=spec.region%3Dus-east', SITES), ['/nyc-1'])
  assert.deepEqual(await q('labelSelector=country', SITES), ['/par-1'])
  // Unreadable selectors are 400, not an empty list.
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?labelSelector=${encodeURIComponent('a in (b')}` }), 400, 'BadRequest')
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?fieldSelector=metadata.name` }), 400, 'BadRequest')
})

test('PUT with the current resourceVersion → 200; with a stale one → 409 Conflict and nothing changes', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web'))
  await settle(ts.srv)
  const current = await get(ts, `${APPS}/web`)
  const next = structuredClone(current)
  next.spec.replicas = 0
  next.spec.template.command = 'deno'
  const res = await ts.req({ method: 'PUT', url: `${APPS}/web`, payload: next })
  assert.equal(res.statusCode, 200, res.body)
  const updated = json(res)
  assert.equal(updated.spec.template.command, 'deno')
  assert.equal(updated.metadata.generation, 2)
  assert.equal(updated.metadata.uid, current.metadata.uid)
  assert.equal(updated.metadata.creationTimestamp, current.metadata.creationTimestamp)
  assert.ok(Number(updated.metadata.resourceVersion) > Number(current.metadata.resourceVersion))
  await settle(ts.srv)
  const after = await get(ts, `${APPS}/web`)
  const rev = await ts.srv.store.revision()

  const stale = structuredClone(current)
  stale.spec.template.command = 'bun'
  const body = assertStatus(await ts.req({ method: 'PUT', url: `${APPS}/web`, payload: stale }), 409, 'Conflict')
  assert.equal(body.reason, 'Conflict')
  assert.equal(body.details.retryable, true)
  assert.match(body.message, new RegExp(`resourceVersion ${current.metadata.resourceVersion} is stale`))
  assert.equal(await ts.srv.store.revision(), rev)
  assert.deepEqual(await get(ts, `${APPS}/web`), after)
})

test('PUT without a resourceVersion replaces unconditionally; a PUT of a missing object is 404', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web'))
  const res = await ts.req({ method: 'PUT', url: `${APPS}/web`, payload: appManifest('web', { command: 'deno' }) })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(json(res).spec.template.command, 'deno')
  assertStatus(await ts.req({ method: 'PUT', url: `${APPS}/ghost`, payload: appManifest('ghost') }), 404, 'NotFound')
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}/ghost` }), 404, 'NotFound')
})

const APPLY_YAML = `apiVersion: edgeplane.io/v1
kind: App
metadata:
  name: web
  labels:
    tier: edge
spec:
  replicas: 0
  template:
    command: node
    args: [server.js]
    ports:
      - name: http
`

test('PATCH application/apply-patch+yaml creates (201), then updates (200); the same body again changes nothing', async (t) => {
  const ts = await startTestServer(t)
  const first = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: APPLY_YAML })
  assert.equal(first.statusCode, 201, first.body)
  const created = json(first)
  assert.equal(created.metadata.labels.tier, 'edge')
  assert.equal(created.metadata.generation, 1)
  await settle(ts.srv)
  const settled = await get(ts, `${APPS}/web`)
  const rev = await ts.srv.store.revision()

  const again = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: APPLY_YAML })
  assert.equal(again.statusCode, 200)
  assert.equal(json(again).metadata.resourceVersion, settled.metadata.resourceVersion)
  assert.equal(await ts.srv.store.revision(), rev, 'applying the same body writes nothing')

  const changed = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: APPLY_YAML.replace('command: node', 'command: deno').replace('    tier: edge\n', '    tier: central\n') })
  assert.equal(changed.statusCode, 200, changed.body)
  const updated = json(changed)
  assert.equal(updated.spec.template.command, 'deno')
  assert.equal(updated.metadata.labels.tier, 'central')
  assert.equal(updated.metadata.generation, 2)
  assert.equal(updated.metadata.uid, created.metadata.uid)
  assert.ok(Number(updated.metadata.resourceVersion) > rev)
})

test('apply of the same content with its keys in another order changes nothing', async (t) => {
  const ts = await startTestServer(t)
  // Created through POST as JSON with metadata keys in another order than the YAML below.
  await create(ts, APPS, { apiVersion: API_VERSION, kind: 'App', metadata: { labels: { tier: 'edge' }, name: 'web' }, spec: { template: { ports: [{ name: 'http' }], args: ['server.js'], command: 'node' }, replicas: 0 } })
  await settle(ts.srv)
  const rev = await ts.srv.store.revision()
  const res = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: APPLY_YAML })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(await ts.srv.store.revision(), rev)
})

test('apply with a stale resourceVersion in the body → 409, and an apply for a site (cluster-scoped) works', async (t) => {
  const ts = await startTestServer(t)
  await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: APPLY_YAML })
  await settle(ts.srv)
  const body = APPLY_YAML.replace('  name: web\n', '  name: web\n  resourceVersion: "1"\n').replace('command: node', 'command: deno')
  assertStatus(await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: YAML, payload: body }), 409, 'Conflict')
  assert.equal((await get(ts, `${APPS}/web`)).spec.template.command, 'node')

  const site = 'apiVersion: edgeplane.io/v1\nkind: Site\nmetadata:\n  name: par-1\nspec:\n  region: eu-west\n  provider: acme\n'
  const res = await ts.req({ method: 'PATCH', url: `${SITES}/par-1`, headers: YAML, payload: site })
  assert.equal(res.statusCode, 201, res.body)
  assert.equal(json(res).metadata.namespace, undefined)
  assert.equal(json(res).spec.tier, 'edge')
})

test('PATCH application/merge-patch+json merges into the stored object', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web', { labels: { tier: 'edge', team: 'a' } }))
  await settle(ts.srv)
  const current = await get(ts, `${APPS}/web`)
  const res = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { metadata: { labels: { team: null, owner: 'ops' } }, spec: { template: { env: { A: '1' } } } } })
  assert.equal(res.statusCode, 200, res.body)
  const patched = json(res)
  assert.deepEqual(patched.metadata.labels, { tier: 'edge', owner: 'ops' })
  assert.deepEqual(patched.spec.template.env, { A: '1' })
  assert.equal(patched.spec.template.command, 'node', 'untouched fields are kept')
  assert.deepEqual(patched.spec.template.args, ['server.js'])
  assert.equal(patched.metadata.generation, 2)
  assert.equal(patched.metadata.uid, current.metadata.uid)
  // A merge patch that names a stale resourceVersion is a compare-and-swap that fails.
  await settle(ts.srv)
  const rev = await ts.srv.store.revision()
  assertStatus(await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { metadata: { resourceVersion: current.metadata.resourceVersion }, spec: { replicas: 0 } } }), 409, 'Conflict')
  assert.equal(await ts.srv.store.revision(), rev)
  assertStatus(await ts.req({ method: 'PATCH', url: `${APPS}/ghost`, headers: MERGE, payload: { spec: { replicas: 0 } } }), 404, 'NotFound')
})

test('a merge patch cannot change status (that is the status subresource)', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web'))
  await settle(ts.srv)
  const before = await get(ts, `${APPS}/web`)
  const res = await ts.req({ method: 'PATCH', url: `${APPS}/web`, headers: MERGE, payload: { status: { readyReplicas: 42 } } })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(json(res).status, before.status)
})

test('DELETE → 200 with the object, then GET → 404; DELETE again → 404', async (t) => {
  const ts = await startTestServer(t)
  const app = await create(ts, APPS, appManifest('web'))
  const res = await ts.req({ method: 'DELETE', url: `${APPS}/web` })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(json(res).metadata.uid, app.metadata.uid)
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}/web` }), 404, 'NotFound')
  assertStatus(await ts.req({ method: 'DELETE', url: `${APPS}/web` }), 404, 'NotFound')
  await create(ts, SITES, siteManifest('par-1'))
  assert.equal((await ts.req({ method: 'DELETE', url: `${SITES}/par-1` })).statusCode, 200)
  assertStatus(await ts.req({ method: 'GET', url: `${SITES}/par-1` }), 404, 'NotFound')
})

test('DELETE with a stale precondition → 409 and the object stays', async (t) => {
  const ts = await startTestServer(t)
  const app = await create(ts, APPS, appManifest('web'))
  await ts.req({ method: 'PUT', url: `${APPS}/web`, payload: appManifest('web', { command: 'deno' }) })
  await settle(ts.srv)
  const res = await ts.req({ method: 'DELETE', url: `${APPS}/web`, payload: { preconditions: { resourceVersion: app.metadata.resourceVersion } } })
  assertStatus(res, 409, 'Conflict')
  assert.equal((await get(ts, `${APPS}/web`)).spec.template.command, 'deno')
  const current = await get(ts, `${APPS}/web`)
  const ok = await ts.req({ method: 'DELETE', url: `${APPS}/web`, payload: { preconditions: { resourceVersion: current.metadata.resourceVersion } } })
  assert.equal(ok.statusCode, 200, ok.body)
})

test('a status sent on create (POST or apply) is dropped', async (t) => {
  const ts = await startTestServer(t)
  const bogus = { replicas: 99, readyReplicas: 99 }
  const posted = await create(ts, APPS, { ...appManifest('web'), status: bogus })
  assert.equal(posted.status, undefined)
  const applied = await ts.req({ method: 'PATCH', url: `${APPS}/api`, headers: YAML, payload: APPLY_YAML.replace('name: web', 'name: api') + 'status:\n  replicas: 99\n  readyReplicas: 99\n' })
  assert.equal(applied.statusCode, 201, applied.body)
  assert.equal(json(applied).status, undefined)
  await settle(ts.srv)
  for (const name of ['web', 'api']) {
    const got = await get(ts, `${APPS}/${name}`)
    assert.notEqual(got.status?.readyReplicas, 99, `${name}: the controller's status, not the user's`)
  }
  const site = await create(ts, SITES, { ...siteManifest('par-1'), status: { nodes: 5, readyNodes: 5, capacity: { cpu: 1, memory: 1 }, allocatable: { cpu: 1, memory: 1 } } })
  assert.equal(site.status, undefined)
})

test('PUT on .../status changes only status; spec and generation stay', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, APPS, appManifest('web'))
  await settle(ts.srv)
  const current = await get(ts, `${APPS}/web`)
  const body = structuredClone(current)
  body.status = { replicas: 7, readyReplicas: 3 }
  body.spec.template.command = 'ignored'
  const res = await ts.req({ method: 'PUT', url: `${APPS}/web/status`, payload: body })
  assert.equal(res.statusCode, 200, res.body)
  const out = json(res)
  assert.deepEqual(out.status, { replicas: 7, readyReplicas: 3 })
  assert.deepEqual(out.spec, current.spec)
  assert.equal(out.metadata.generation, current.metadata.generation)
  assert.ok(Number(out.metadata.resourceVersion) > Number(current.metadata.resourceVersion))
  // A stale resourceVersion on the status subresource is a conflict too.
  assertStatus(await ts.req({ method: 'PUT', url: `${APPS}/web/status`, payload: body }), 409, 'Conflict')
  // And a plain PUT keeps the stored status whatever the body says.
  await settle(ts.srv)
  const now = await get(ts, `${APPS}/web`)
  const put = await ts.req({ method: 'PUT', url: `${APPS}/web`, payload: { ...now, status: { replicas: 1000, readyReplicas: 1000 } } })
  assert.equal(put.statusCode, 200, put.body)
  assert.deepEqual(json(put).status, now.status)
  assert.equal(json(put).metadata.generation, now.metadata.generation, 'no spec change, no new generation')
})

test('GET .../status returns the object', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, SITES, siteManifest('par-1'))
  const got = await get(ts, `${SITES}/par-1/status`)
  assert.equal(got.metadata.name, 'par-1')
})

test('sites are cluster-scoped: no namespace in the URL or the body', async (t) => {
  const ts = await startTestServer(t)
  const site = await create(ts, SITES, siteManifest('par-1'))
  assert.equal(site.metadata.namespace, undefined)
  assert.equal(site.spec.tier, 'edge')
  const inNs = assertStatus(await ts.req({ method: 'POST', url: `${V1}/namespaces/default/sites`, payload: siteManifest('nyc-1') }), 404, 'NotFound')
  assert.match(inNs.message, /cluster-scoped/)
  const withNs = assertStatus(await ts.req({ method: 'POST', url: SITES, payload: { ...siteManifest('nyc-1'), metadata: { name: 'nyc-1', namespace: 'default' } } }), 422, 'Invalid')
  assert.equal(withNs.details.causes[0].field, 'metadata.namespace')
  const list = await get(ts, SITES)
  assert.equal(list.kind, 'SiteList')
  assert.deepEqual(names(list), ['/par-1'])
  await settle(ts.srv)
  const current = await get(ts, `${SITES}/par-1`)
  const res = await ts.req({ method: 'PUT', url: `${SITES}/par-1`, payload: { ...current, spec: { ...current.spec, region: 'eu-central' } } })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(json(res).spec.region, 'eu-central')
  assert.equal(json(res).metadata.generation, 2)
})

test('a namespaced object addressed without a namespace is in "default"', async (t) => {
  const ts = await startTestServer(t)
  await create(ts, `${V1}/apps`, appManifest('web'))
  assert.equal((await get(ts, `${V1}/apps/web`)).metadata.namespace, 'default')
  assert.equal((await get(ts, `${APPS}/web`)).metadata.namespace, 'default')
})

// Discovery, OpenAPI, version, logs.

const PUBLIC_PLURALS = ['sites', 'nodes', 'apps', 'instances', 'events']

test('/api, /apis and /apis/edgeplane.io describe the group and its version', async (t) => {
  const ts = await startTestServer(t)
  const api = json(await ts.req({ method: 'GET', url: '/api' }))
  assert.equal(api.kind, 'APIVersions')
  assert.ok(Array.isArray(api.versions))
  const apis = json(await ts.req({ method: 'GET', url: '/apis' }))
  assert.equal(apis.kind, 'APIGroupList')
  assert.deepEqual(apis.groups.map((g: any) => g.name), ['edgeplane.io', 'apps', 'authorization.k8s.io'], 'apps only to import Deployments; authorization for kubectl auth can-i')
  assert.equal(apis.groups[0].name, 'edgeplane.io')
  assert.deepEqual(apis.groups[0].preferredVersion, { groupVersion: API_VERSION, version: 'v1' })
  const group = json(await ts.req({ method: 'GET', url: '/apis/edgeplane.io' }))
  assert.equal(group.kind, 'APIGroup')
  assert.deepEqual(group.versions, [{ groupVersion: API_VERSION, version: 'v1' }])
})

test('/apis/edgeplane.io/v1 lists the public kinds with scope, verbs and subresources, not Token', async (t) => {
  const ts = await startTestServer(t)
  const res = await ts.req({ method: 'GET', url: V1 })
  assert.equal(res.statusCode, 200)
  const list = json(res)
  assert.equal(list.kind, 'APIResourceList')
  assert.equal(list.groupVersion, API_VERSION)
  const byName = new Map(list.resources.map((r: any) => [r.name, r]))
  for (const plural of PUBLIC_PLURALS) assert.ok(byName.has(plural), plural)
  assert.ok(!byName.has('tokens'))
  assert.ok(!list.resources.some((r: any) => r.kind === 'Token'))
  const apps: any = byName.get('apps')
  assert.equal(apps.kind, 'App')
  assert.equal(apps.namespaced, true)
  assert.equal(apps.singularName, 'app')
  assert.deepEqual([...apps.verbs].sort(), ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'])
  const sites: any = byName.get('sites')
  assert.equal(sites.namespaced, false)
  assert.deepEqual(sites.shortNames, ['st'])
  assert.ok(byName.has('apps/status'))
  assert.ok(byName.has('instances/log'))
  assert.ok(!byName.has('events/status'), 'events have no status subresource')
})

test('/openapi.json comes from the same schemas: components for each public kind, paths for apps and sites', async (t) => {
  const ts = await startTestServer(t)
  const doc = json(await ts.req({ method: 'GET', url: '/openapi.json' }))
  assert.match(doc.openapi, /^3\./)
  assert.equal(doc.info.version, VERSION)
  const schemas = doc.components.schemas
  for (const k of publicKinds()) {
    assert.ok(schemas[k.kind], k.kind)
    assert.ok(schemas[`${k.kind}List`], `${k.kind}List`)
  }
  assert.equal(schemas.Token, undefined)
  assert.ok(schemas.Status)
  assert.ok(schemas.App.properties.spec.properties.template)
  assert.equal(schemas.App.properties.spec.properties.replicas.default, 1)
  assert.deepEqual(schemas.App.properties.spec.properties.template.properties.runtime.enum, ['process', 'container'])
  const appsPath = `${V1}/namespaces/{namespace}/apps`
  assert.deepEqual(Object.keys(doc.paths[appsPath]).sort(), ['get', 'post'])
  assert.deepEqual(Object.keys(doc.paths[`${appsPath}/{name}`]).sort(), ['delete', 'get', 'patch', 'put'])
  assert.ok(doc.paths[`${appsPath}/{name}/status`].put)
  assert.ok(doc.paths[`${V1}/sites/{name}`])
  assert.equal(doc.paths[`${V1}/namespaces/{namespace}/sites`], undefined)
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/apis/') && p.includes('tokens')), 'tokens are no resource (only /v1/tokens)')
  assert.deepEqual(Object.keys(doc.paths[`${appsPath}/{name}`].patch.requestBody.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'])
})

test('discovery, OpenAPI and /version need a token', async (t) => {
  const ts = await startTestServer(t)
  for (const url of ['/api', '/apis', V1, '/openapi.json', '/version']) {
    assertStatus(await ts.req({ method: 'GET', url, token: null }), 401, 'Unauthorized')
  }
})

test('GET /version reports the version and the store driver', async (t) => {
  const ts = await startTestServer(t)
  const res = await ts.req({ method: 'GET', url: '/version' })
  assert.equal(res.statusCode, 200)
  const v = json(res)
  assert.equal(v.version, VERSION)
  assert.equal(v.store, 'memory')
  assert.equal(v.gitVersion, `v${VERSION}`)
  assert.equal(`${v.major}.${v.minor}`, VERSION.split('.').slice(0, 2).join('.'))
  assert.match(v.platform, /^\w+\/\w+$/)
})

test('the log of an instance whose node is not connected → 503 Unavailable naming the node', async (t) => {
  const ts = await startTestServer(t)
  // The app controller would remove an instance of no app on no known node; keep it still.
  ts.srv.controllers.apps.stop()
  const instance = {
    apiVersion: API_VERSION, kind: 'Instance',
    metadata: { name: 'web-abc123', labels: { 'edgeplane.io/app': 'web' } },
    spec: { app: 'web', revision: 'r1', node: 'edge-node-7', site: 'par-1', template: { command: 'node', args: ['server.js'] } },
  }
  const created = await ts.req({ method: 'POST', url: `${V1}/namespaces/default/instances`, payload: instance })
  assert.equal(created.statusCode, 201, created.body)
  for (const url of [`${V1}/namespaces/default/instances/web-abc123/log`, `${V1}/namespaces/default/instances/web-abc123/log?follow=true&tailLines=10`, `${V1}/instances/web-abc123/log`]) {
    const body = assertStatus(await ts.req({ method: 'GET', url }), 503, 'Unavailable')
    assert.equal(body.reason, 'ServiceUnavailable')
    assert.equal(body.details.retryable, true)
    assert.match(body.message, /node "edge-node-7" is not connected/)
  }
  const missing = assertStatus(await ts.req({ method: 'GET', url: `${V1}/namespaces/default/instances/ghost/log` }), 404, 'NotFound')
  assert.match(missing.message, /instance "ghost" not found/)
  assertStatus(await ts.req({ method: 'POST', url: `${V1}/namespaces/default/instances/web-abc123/log`, payload: {} }), 405, 'MethodNotAllowed')
  // The instance is still there and the server still answers.
  assert.equal((await ts.req({ method: 'GET', url: `${V1}/namespaces/default/instances/web-abc123` })).statusCode, 200)
})
