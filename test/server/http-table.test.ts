// Table answers (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the kind's columns and
// rows for list and get, through inject() and through the real kubectl against a live server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { columnsFor } from '../../src/api/table/columns.js'
import { tableVersionOf } from '../../src/api/table/table.js'
import { populate, startLiveServer } from '../cli/live-server.js'

const run = promisify(execFile)
const TABLE_V1 = 'application/json;as=Table;v=v1;g=meta.k8s.io'
const KUBECTL_ACCEPT = `${TABLE_V1},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`

test('Accept header: a Table only when one of a served version comes before plain JSON', () => {
  assert.equal(tableVersionOf(KUBECTL_ACCEPT), 'v1')
  assert.equal(tableVersionOf('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json'), 'v1beta1')
  assert.equal(tableVersionOf('application/json;as=Table;v=v2;g=meta.k8s.io,application/json'), undefined)
  assert.equal(tableVersionOf(`application/json, ${TABLE_V1}`), undefined)
  assert.equal(tableVersionOf('application/json'), undefined)
  assert.equal(tableVersionOf(undefined), undefined)
})

test('every kind answers a Table for list and get, with wide-only columns at priority 1', async (t) => {
  const live = await startLiveServer(t)
  const objs = await populate(live.srv)
  const auth = { authorization: `Bearer ${live.token}` }
  const disc = (await live.srv.app.inject({ url: '/apis/edgeplane.io/v1', headers: auth })).json() as { resources: { name: string; kind: string; namespaced: boolean }[] }
  for (const r of disc.resources.filter((x) => !x.name.includes('/'))) {
    const base = `/apis/edgeplane.io/v1${r.namespaced ? '/namespaces/default' : ''}/${r.name}`
    for (const v of ['v1', 'v1beta1']) {
      const res = await live.srv.app.inject({ url: base, headers: { ...auth, accept: `application/json;as=Table;v=${v};g=meta.k8s.io` } })
      assert.equal(res.statusCode, 200, res.body)
      const table = res.json()
      assert.equal(table.kind, 'Table')
      assert.equal(table.apiVersion, `meta.k8s.io/${v}`)
      assert.deepEqual(table.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority]), columnsFor(r.kind).map((c) => [c.name, c.priority]), r.kind)
      const row = table.rows.find((x: { object: { metadata: { name: string } } }) => x.object.metadata.name === objs[r.kind].metadata.name)
      assert.ok(row, `${r.kind}: a row for the object`)
      assert.equal(row.object.kind, 'PartialObjectMetadata')
      assert.equal(row.cells.length, table.columnDefinitions.length)
      assert.ok(/^\d+$/.test(table.metadata.resourceVersion))
    }
    const one = await live.srv.app.inject({ url: `${base}/${objs[r.kind].metadata.name}?includeObject=Object`, headers: { ...auth, accept: KUBECTL_ACCEPT } })
    assert.equal(one.statusCode, 200, one.body)
    assert.equal(one.json().rows.length, 1)
    assert.equal(one.json().rows[0].object.kind, r.kind, 'includeObject=Object: the whole object')
    const none = await live.srv.app.inject({ url: `${base}?includeObject=None`, headers: { ...auth, accept: TABLE_V1 } })
    assert.equal(none.json().rows[0].object, undefined)
  }
  const bad = await live.srv.app.inject({ url: '/apis/edgeplane.io/v1/sites?includeObject=Everything', headers: { ...auth, accept: TABLE_V1 } })
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /includeObject "Everything": use None, Metadata or Object/)
  const missing = await live.srv.app.inject({ url: '/apis/edgeplane.io/v1/sites/nowhere', headers: { ...auth, accept: TABLE_V1 } })
  assert.equal(missing.statusCode, 404)
  const plain = await live.srv.app.inject({ url: '/apis/edgeplane.io/v1/sites', headers: { ...auth, accept: 'application/json' } })
  assert.equal(plain.json().kind, 'SiteList', 'plain JSON stays a List')
})

async function kubectlPath(): Promise<string | undefined> {
  try { await run('kubectl', ['version', '--client']); return 'kubectl' } catch { return undefined }
}

test('kubectl get shows the same columns as edgeplane get', async (t) => {
  const kubectl = await kubectlPath()
  if (!kubectl) {
    if (process.env.CI === 'true') assert.fail('kubectl is missing (CI installs it: .ci/run)')
    t.skip('kubectl is not installed')
    return
  }
  // kubectl sends a bearer token only over TLS.
  const live = await startLiveServer(t, { tls: true })
  await populate(live.srv)
  const kubeconfig = join(live.dir, 'kubeconfig')
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'ep',
    clusters: [{ name: 'ep', cluster: { server: live.url, 'certificate-authority-data': Buffer.from(live.ca!).toString('base64') } }],
    users: [{ name: 'ep', user: { token: live.token } }],
    contexts: [{ name: 'ep', context: { cluster: 'ep', user: 'ep', namespace: 'default' } }],
  }))
  const k = async (...args: string[]) => (await run(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(live.dir, 'kcache'), ...args])).stdout
  const header = (out: string) => out.split('\n')[0].trim().split(/\s{2,}/)
  for (const [resource, kind] of [['apps.edgeplane.io', 'App'], ['nodes.edgeplane.io', 'Node'], ['sites.edgeplane.io', 'Site'], ['revisions.edgeplane.io', 'Revision'], ['sessions.edgeplane.io', 'Session'], ['instances.edgeplane.io', 'Instance']] as const) {
    assert.deepEqual(header(await k('get', resource)), columnsFor(kind).filter((c) => c.priority === 0).map((c) => c.name.toUpperCase()), `kubectl get ${resource}`)
    assert.deepEqual(header(await k('get', resource, '-o', 'wide')), columnsFor(kind).map((c) => c.name.toUpperCase()), `kubectl get ${resource} -o wide`)
  }
  const apps = await k('get', 'apps.edgeplane.io', 'hello')
  assert.match(apps.split('\n')[1], /^hello\s+1\s+0\/1\s/, 'the row: name, desired, ready')
})
