// kubectl with default flags against our OpenAPI documents: apply (client-side, last-applied
// annotation; a re-apply with no change is "unchanged"), create, explain, edit through $EDITOR.
// And the documents themselves pass a real OpenAPI validator (3.1, 3.0 and Swagger 2.0).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import { APPS, V1, json, settle, startTestServer } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

const manifest = (replicas: number, name = 'hello') => `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: ${name}, labels: {team: edge}}
spec:
  replicas: ${replicas}
  template: {command: node, args: [server.js], ports: [{name: http}]}
`

test('kubectl apply/create/explain/edit work with default flags', { skip: kubectlSkip, timeout: 180_000 }, async (t) => {
  const k = await startKubectl(t)
  const { ts } = k
  const f = k.file('app.yaml', manifest(0))
  assert.match(await k.ok(['apply', '-f', f]), /app\.edgeplane\.io\/hello created/)
  const created = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.ok(created.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], 'kubectl kept its last-applied annotation')
  await settle(ts.srv)
  const rev = (await ts.srv.store.revision())
  assert.match(await k.ok(['apply', '-f', f]), /app\.edgeplane\.io\/hello unchanged/)
  assert.equal(await ts.srv.store.revision(), rev, 'an unchanged apply writes nothing')

  assert.match(await k.ok(['apply', '-f', k.file('app2.yaml', manifest(2))]), /app\.edgeplane\.io\/hello configured/)
  const changed = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.equal(changed.spec.replicas, 2)
  assert.equal(changed.metadata.generation, 2)
  assert.equal(changed.spec.template.ports[0].protocol, 'tcp', 'the defaulted port survived the merge')

  assert.match(await k.ok(['create', '-f', k.file('other.yaml', manifest(0, 'other'))]), /app\.edgeplane\.io\/other created/)
  const bad = await k.run(['create', '-f', k.file('bad.yaml', manifest(0, 'bad').replace('replicas: 0', 'replicas: 0\n  replicaz: 1'))])
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /spec\.replicaz/, 'the unknown field is named')

  const explained = await k.ok(['explain', 'apps.spec'])
  assert.match(explained, /KIND:\s+App/)
  assert.match(explained, /replicas\s+<integer>/)
  assert.match(explained, /template\s+<Object>/)
  assert.match(await k.ok(['explain', 'apps.spec.template.ports']), /containerPort|name\s+<string>/)

  // kubectl edit: the editor is a script that raises the replicas.
  const editor = k.file('editor.sh', '#!/bin/sh\nsed -i "s/replicas: 2/replicas: 5/" "$1"\n')
  chmodSync(editor, 0o755)
  assert.match(await k.ok(['edit', 'app/hello'], { env: { KUBE_EDITOR: editor } }), /app\.edgeplane\.io\/hello edited/)
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/hello` })).spec.replicas, 5)
})

test('/openapi.json is valid OpenAPI 3.1 and covers every route; /openapi/v3 and /openapi/v2 validate too', async (t) => {
  const ts = await startTestServer(t)
  const validator = new Validator()
  const full = json(await ts.req({ method: 'GET', url: '/openapi.json' }))
  assert.equal(full.openapi, '3.1.0')
  const r31 = await validator.validate(full)
  assert.equal(r31.valid, true, JSON.stringify(r31.errors)?.slice(0, 2000))
  for (const p of ['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/renew', '/v1/tokens', '/v1/tokens/{id}', '/v1/route', '/v1/demand', '/v1/join', '/v1/credentials/rotate', '/v1/ca.crt', '/v1/link', '/version', '/openapi/v3', '/openapi/v2', `${V1}/namespaces/{namespace}/instances/{name}/log`, `${V1}/namespaces/{namespace}/apps/{name}/scale`]) {
    assert.ok(full.paths[p], `${p} is in the document`)
  }
  // Every path in the document is a route the server has (and the other way round for /v1).
  for (const p of Object.keys(full.paths)) {
    const url = p.replace(/\{namespace\}/g, 'default').replace(/\{[^}]+\}/g, 'x')
    for (const method of Object.keys(full.paths[p])) {
      assert.ok(ts.srv.app.hasRoute({ method: method.toUpperCase(), url: p.replace(/\{([^}]+)\}/g, ':$1') }) || ts.srv.app.hasRoute({ method: method.toUpperCase(), url: '/apis/edgeplane.io/v1/*' }) && url.startsWith('/apis/edgeplane.io/v1/'), `${method} ${p} is a route`)
    }
  }
  const root = json(await ts.req({ method: 'GET', url: '/openapi/v3' }))
  const groupUrl = root.paths['apis/edgeplane.io/v1'].serverRelativeURL
  const group = json(await ts.req({ method: 'GET', url: groupUrl }))
  const r30 = await validator.validate(group)
  assert.equal(r30.valid, true, JSON.stringify(r30.errors)?.slice(0, 2000))
  assert.deepEqual(group.components.schemas.App['x-kubernetes-group-version-kind'], [{ group: 'edgeplane.io', version: 'v1', kind: 'App' }])
  const patchOp = group.paths['/apis/edgeplane.io/v1/namespaces/{namespace}/apps/{name}'].patch
  assert.deepEqual(patchOp['x-kubernetes-group-version-kind'], { group: 'edgeplane.io', version: 'v1', kind: 'App' })
  assert.ok(patchOp.parameters.some((p: any) => p.name === 'fieldValidation'), 'kubectl checks for fieldValidation to leave validation to the server')
  const ports = group.components.schemas.App.properties.spec.properties.template.properties.ports
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'name')
  // Nothing of JSON Schema 2020-12 that OpenAPI 3.0 / kube-openapi cannot read.
  const text = JSON.stringify(group)
  assert.ok(!text.includes('"const"') && !text.includes('"patternProperties"'))
  const v2 = await ts.req({ method: 'GET', url: '/openapi/v2', headers: { accept: 'application/json' } })
  const r20 = await validator.validate(json(v2))
  assert.equal(r20.valid, true, JSON.stringify(r20.errors)?.slice(0, 2000))
  const pb = await ts.req({ method: 'GET', url: '/openapi/v2', headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } })
  assert.equal(pb.statusCode, 406)
})
