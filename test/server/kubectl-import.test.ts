// Kubernetes manifests through the API: kubectl create -f deployment.yaml and POST /v1/import turn
// a Deployment (+ Service, HPA) into an App, with a Kubernetes Warning for every field that cannot
// be honoured. The App uses the container runtime (issue 20, another branch): where this branch's
// schema does not accept `runtime: container` yet, the answer is the 422 naming that field.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, assertStatus, json, settle, startTestServer } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'


const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/demo/hello:1.0
        ports: [{name: http, containerPort: 8080}]
        resources: {limits: {cpu: 250m, memory: 64Mi}}
        readinessProbe: {httpGet: {path: /, port: http}}
        startupProbe: {httpGet: {path: /, port: http}}
`
const REST = `---
apiVersion: v1
kind: Service
metadata: {name: web, annotations: {edgeplane.io/traffic-host: web.edge.test}}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec: {scaleTargetRef: {kind: Deployment, name: web}, minReplicas: 1, maxReplicas: 5}
`

test('kubectl create -f deployment.yaml: warnings printed by kubectl; the App or the field that refuses it', { skip: kubectlSkip, timeout: 120_000 }, async (t) => {
  const k = await startKubectl(t)
  const r = await k.run(['create', '-f', k.file('deployment.yaml', DEPLOYMENT)])
  assert.match(r.stderr, /Warning: Deployment web: spec\.template\.spec\.containers\[0\]\.startupProbe: /, r.stderr)
  assert.match(r.stderr, /Warning: Deployment web: spec\.template\.metadata\.labels: /)
  assert.equal(r.code, 0, r.stderr)
  // The server answers with what it stored: the App the Deployment became.
  assert.match(r.stdout, /app\.edgeplane\.io\/web created/)
  const app = json(await k.ts.req({ method: 'GET', url: `${APPS}/web` }))
  assert.equal(app.spec.template.runtime, 'container')
  assert.equal(app.spec.template.image, '127.0.0.1:5000/demo/hello:1.0')
  assert.equal(app.spec.replicas, 2)
})

test('POST /v1/import: one manifest, Warning headers, dryRun, and the whole manifest or nothing', async (t) => {
  const ts = await startTestServer(t)
  const before = await settle(ts.srv)
  const res = await ts.req({ method: 'POST', url: '/v1/import?dryRun=All', headers: { 'content-type': 'application/yaml' }, payload: DEPLOYMENT + REST })
  const warnings = ([] as string[]).concat(res.headers.warning as string | string[])
  assert.ok(warnings.some((w) => /^299 - "HorizontalPodAutoscaler web: metadata\.annotations: no edgeplane\.io\/requests-per-second-per-replica/.test(w)), warnings.join('\n'))
  assert.ok(warnings.some((w) => w.includes('Service web: spec.ports[0].port')), warnings.join('\n'))
  assert.equal(res.statusCode, 200, res.body)
  const body = json(res)
  assert.equal(body.items[0].action, 'created')
  assert.deepEqual(body.items[0].app.spec.traffic, { host: 'web.edge.test', port: 'http' })
  assert.equal(await settle(ts.srv), before, 'nothing written')
  assertStatus(await ts.req({ method: 'POST', url: '/v1/import', headers: { 'content-type': 'application/yaml' }, payload: 'apiVersion: edgeplane.io/v1\nkind: Site\nmetadata: {name: x}\n' }), 400, 'BadRequest')
  const noImage = assertStatus(await ts.req({ method: 'POST', url: '/v1/import', headers: { 'content-type': 'application/yaml' }, payload: DEPLOYMENT.replace('image: 127.0.0.1:5000/demo/hello:1.0', 'imagePullPolicy: Always') }), 422, 'Invalid')
  assert.equal(noImage.details.causes[0].field, 'spec.template.spec.containers[0].image')
})
