// The real kubectl: --dry-run=server on apply, create and delete, and kubectl diff, change nothing
// (the App's generation and the store revision stay where they were, no Instance appears).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, appManifest, json, settle } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

const yaml = (replicas: number, name = 'hello') => `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  template: {command: node, args: [server.js], ports: [{name: http}]}
`

test('kubectl apply/create/delete --dry-run=server and kubectl diff change nothing', { skip: kubectlSkip, timeout: 120_000 }, async (t) => {
  const k = await startKubectl(t)
  const { ts } = k
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: appManifest('hello', { replicas: 0 }) })).statusCode, 201)
  const before = await settle(ts.srv)
  const changed = k.file('app.yaml', yaml(3))
  const other = k.file('other.yaml', yaml(2, 'other'))

  const applied = await k.ok(['apply', '--dry-run=server', '-f', changed])
  assert.match(applied, /app\.edgeplane\.io\/hello (configured|serverside-applied) \(server dry run\)/)
  assert.match(await k.ok(['create', '--dry-run=server', '-f', other]), /app\.edgeplane\.io\/other created \(server dry run\)/)
  assert.match(await k.ok(['delete', '--dry-run=server', 'app/hello']), /deleted \(server dry run\)/)
  const diff = await k.run(['diff', '-f', changed])
  assert.equal(diff.code, 1, `kubectl diff exits 1 when there are differences: ${diff.stderr}`)
  assert.match(diff.stdout, /-\s+replicas: 0\n\+\s+replicas: 3/)

  assert.equal(await settle(ts.srv), before, 'nothing was written')
  const app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.equal(app.metadata.generation, 1)
  assert.equal(app.spec.replicas, 0)
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/other` })).code, 404)
  assert.equal(json(await ts.req({ method: 'GET', url: '/apis/edgeplane.io/v1/instances' })).items.length, 0)
})
