// Server-side apply through the real kubectl: managedFields record who owns what, a change to a
// field another manager owns is a 409 naming the field, --force-conflicts takes it, and a field a
// manager stops applying is removed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, json } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

const manifest = (replicas: number, extra = '') => `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: hello, labels: {team: edge${extra}}}
spec:
  replicas: ${replicas}
  template: {command: node, args: [server.js], ports: [{name: http}]}
`

test('kubectl apply --server-side: managedFields, a conflict with kubectl scale, --force-conflicts', { skip: kubectlSkip, timeout: 180_000 }, async (t) => {
  const k = await startKubectl(t)
  const { ts } = k
  assert.match(await k.ok(['apply', '--server-side', '-f', k.file('a.yaml', manifest(1, ', tier: web'))]), /app\.edgeplane\.io\/hello serverside-applied/)
  let app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  const entry = app.metadata.managedFields.find((m: any) => m.manager === 'kubectl')
  assert.equal(entry.operation, 'Apply')
  assert.deepEqual(entry.fieldsV1['f:spec']['f:replicas'], {})
  assert.ok(entry.fieldsV1['f:spec']['f:template']['f:ports']['k:{"name":"http"}'], 'a keyed list item is owned by its key')
  assert.equal(app.spec.template.ports[0].protocol, 'tcp', 'defaults are not the manager\'s, but are there')

  await k.ok(['scale', 'app/hello', '--replicas=3'])
  const conflict = await k.run(['apply', '--server-side', '-f', k.file('b.yaml', manifest(2, ', tier: web'))])
  assert.notEqual(conflict.code, 0)
  assert.match(conflict.stderr, /conflict/i)
  assert.match(conflict.stderr, /\.spec\.replicas/)
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/hello` })).spec.replicas, 3, 'nothing changed')

  await k.ok(['apply', '--server-side', '--force-conflicts', '-f', k.file('b.yaml', manifest(2, ', tier: web'))])
  app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.equal(app.spec.replicas, 2)
  assert.ok(!app.metadata.managedFields.some((m: any) => m.manager !== 'kubectl' && m.fieldsV1?.['f:spec']?.['f:replicas']), 'the scaler lost .spec.replicas')

  // The label the manager no longer applies is removed; an annotation another writer set stays.
  await ts.req({ method: 'PATCH', url: `${APPS}/hello?fieldManager=ops`, headers: { 'content-type': 'application/merge-patch+json' }, payload: { metadata: { annotations: { note: 'keep' } } } })
  await k.ok(['apply', '--server-side', '-f', k.file('c.yaml', manifest(2))])
  app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.deepEqual(app.metadata.labels, { team: 'edge' })
  assert.equal(app.metadata.annotations.note, 'keep')
  const gen = app.metadata.generation
  await k.ok(['apply', '--server-side', '-f', k.file('c.yaml', manifest(2))])
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/hello` })).metadata.generation, gen, 'the same apply again changes nothing')
})
