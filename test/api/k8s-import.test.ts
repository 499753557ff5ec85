// Deployment (+ Service, HPA) → App in the agreed container template shape, with a warning for
// every field that has no equivalent. Pure translation; no server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseManifests } from '../../src/api/manifest.js'
import { importManifests, isKubernetesKind } from '../../src/api/k8s-import/deployment.js'
import { formatWarning } from '../../src/api/k8s-import/warnings.js'

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {team: edge}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 2}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 20
      nodeSelector: {topology.kubernetes.io/region: eu-west, disktype: ssd}
      containers:
      - name: web
        image: 127.0.0.1:5000/demo/hello:1.0
        command: [/bin/httpd, -f]
        args: [-p, "8080"]
        workingDir: /srv
        env:
        - {name: MODE, value: prod}
        - {name: SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}
        ports:
        - {name: http, containerPort: 8080}
        - {containerPort: 9090, hostPort: 9090}
        resources:
          requests: {cpu: 100m, memory: 32Mi}
          limits: {cpu: 250m, memory: 64Mi, nvidia.com/gpu: 1}
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 2}
        livenessProbe: {tcpSocket: {port: 8080}, failureThreshold: 5}
        startupProbe: {httpGet: {path: /, port: http}}
        securityContext: {readOnlyRootFilesystem: true, runAsUser: 1000}
        volumeMounts:
        - {name: scratch, mountPath: /tmp}
        - {name: config, mountPath: /etc/app}
      - name: sidecar
        image: envoy
      volumes:
      - {name: scratch, emptyDir: {sizeLimit: 64Mi}}
      - {name: config, configMap: {name: app-config}}
      tolerations: [{key: k, operator: Exists}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, annotations: {edgeplane.io/traffic-host: web.edge.test}}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop, annotations: {edgeplane.io/requests-per-second-per-replica: "50"}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
---
apiVersion: edgeplane.io/v1
kind: Site
metadata: {name: par-1}
spec: {region: eu-west, provider: acme}
`

test('a Deployment with its Service and HPA becomes one App in the container shape', () => {
  const docs = parseManifests(MANIFEST)
  assert.deepEqual(docs.map(isKubernetesKind), [true, true, true, false])
  const { apps, warnings, rest } = importManifests(docs)
  assert.equal(rest.length, 1, 'the Site passes through')
  assert.equal(apps.length, 1)
  const app = apps[0]
  assert.equal(app.kind, 'App')
  assert.equal(app.apiVersion, 'edgeplane.io/v1')
  assert.deepEqual(app.metadata.labels, { team: 'edge' })
  assert.equal(app.metadata.namespace, 'shop')
  assert.deepEqual(app.spec.template, {
    runtime: 'container',
    image: '127.0.0.1:5000/demo/hello:1.0',
    command: '/bin/httpd',
    args: ['-f', '-p', '8080'],
    workingDir: '/srv',
    env: { MODE: 'prod' },
    ports: [{ name: 'http', protocol: 'tcp', containerPort: 8080 }, { name: 'p9090', protocol: 'tcp', containerPort: 9090 }],
    resources: { cpu: '250m', memory: '64Mi' },
    readiness: { http: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
    liveness: { tcp: { port: 'http' }, failureThreshold: 5 },
    readOnlyRootFilesystem: true,
    volumes: [{ name: 'scratch', mountPath: '/tmp', sizeLimit: '64Mi' }],
    stopGracePeriodSeconds: 20,
  })
  assert.deepEqual(app.spec.rollout, { maxUnavailable: 1, maxSurge: 2 })
  assert.deepEqual(app.spec.placement, { regions: ['eu-west'], siteSelector: { matchLabels: { disktype: 'ssd' } } })
  assert.deepEqual(app.spec.traffic, { host: 'web.edge.test', port: 'http' })
  assert.deepEqual(app.spec.autoscale, { min: 2, max: 10, targetPerReplica: { requestsPerSecond: 50 } })
  assert.equal(app.spec.replicas, 3)

  const lines = warnings.map(formatWarning)
  const expect = [
    'Deployment web: spec.template.spec.containers[1]: container "sidecar" is dropped',
    'Deployment web: spec.template.spec.containers[0].env[1].valueFrom',
    'Deployment web: spec.template.spec.containers[0].ports[1].hostPort',
    'Deployment web: spec.template.spec.containers[0].resources.requests.cpu: differs from the limit',
    'Deployment web: spec.template.spec.containers[0].resources.limits.nvidia.com/gpu',
    'Deployment web: spec.template.spec.containers[0].startupProbe',
    'Deployment web: spec.template.spec.containers[0].securityContext.runAsUser',
    'Deployment web: spec.template.spec.volumes[1].configMap',
    'Deployment web: spec.template.spec.tolerations',
    'Deployment web: spec.template.spec.nodeSelector.disktype',
    'Service web: spec.type: LoadBalancer',
    'Service web: spec.ports[0].port',
    'HorizontalPodAutoscaler web: spec.metrics[0]: cpu utilization',
  ]
  for (const e of expect) assert.ok(lines.some((l) => l.startsWith(e)), `warning "${e}…" in:\n${lines.join('\n')}`)
})

test('no field is dropped silently: every key of the source is either mapped or warned about', () => {
  const docs = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  minReadySeconds: 5
  progressDeadlineSeconds: 60
  revisionHistoryLimit: 3
  strategy: {type: Recreate}
  template:
    metadata: {labels: {a: b}, annotations: {x: y}}
    spec:
      hostNetwork: true
      serviceAccountName: sa
      initContainers: [{name: i, image: busybox}]
      containers:
      - {name: c, image: busybox, imagePullPolicy: Always, stdin: true, lifecycle: {preStop: {exec: {command: [x]}}}, envFrom: [{configMapRef: {name: x}}]}
`)
  const { apps, warnings } = importManifests(docs)
  const fields = warnings.map((w) => w.field)
  for (const f of ['spec.minReadySeconds', 'spec.progressDeadlineSeconds', 'spec.strategy.type', 'spec.template.metadata.annotations', 'spec.template.spec.hostNetwork',
    'spec.template.spec.serviceAccountName', 'spec.template.spec.initContainers', 'spec.template.spec.containers[0].imagePullPolicy', 'spec.template.spec.containers[0].stdin',
    'spec.template.spec.containers[0].lifecycle', 'spec.template.spec.containers[0].envFrom']) {
    assert.ok(fields.includes(f), `${f} is reported (got ${fields.join(', ')})`)
  }
  assert.equal(apps[0].spec.replicas, 1, 'replicas default to 1 as in Kubernetes')
  assert.equal(apps[0].spec.rollout.revisionHistoryLimit, 3)
  assert.equal(apps[0].spec.template.command, undefined, 'no command: the image ENTRYPOINT runs')
})

test('an HPA without a usable target, a Service selecting nothing, a missing image', () => {
  const base = (extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: busybox, ports: [{containerPort: 80}]${extra}}]
`
  const r = importManifests(parseManifests(base() + `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec: {scaleTargetRef: {kind: Deployment, name: api}, minReplicas: 4, maxReplicas: 8}
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec: {selector: {app: nope}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 80}]}
`))
  const app = r.apps[0]
  assert.equal(app.spec.autoscale, undefined)
  assert.equal(app.spec.replicas, 4, 'minReplicas, said in a warning')
  assert.deepEqual(app.spec.traffic, { host: 'api.default', port: 'p80' })
  const lines = r.warnings.map(formatWarning)
  assert.ok(lines.some((l) => l.startsWith('HorizontalPodAutoscaler api: metadata.annotations: no edgeplane.io/requests-per-second-per-replica')), lines.join('\n'))
  assert.ok(lines.some((l) => l.startsWith('Service other: spec.selector: selects the pods of no Deployment')), lines.join('\n'))
  assert.ok(lines.some((l) => l.startsWith('Service api: metadata.annotations: no edgeplane.io/traffic-host annotation')), lines.join('\n'))
  assert.throws(() => importManifests(parseManifests(base().replace('image: busybox, ', ''))), (e: any) => e.code === 'Invalid' && e.details.causes[0].field === 'spec.template.spec.containers[0].image')
})
