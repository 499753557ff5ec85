// A container app end to end with real processes: a server (with a registry allow-list), an agent,
// podman and a docker-registry. The image tag is pinned to its digest, the instances serve through
// the agent-allocated port, `edgeplane logs` shows the container's output, a kill -9 of the agent
// leaves the containers running and the restarted agent adopts them (same container, no restart),
// and deleting the app removes its containers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { Podman } from '../../src/agent/runtime/container/podman.js'
import { api, cli, startCli, startServerProc, testScope, waitNodesReady, waitUntil } from './fleet-helpers.js'
import { imageFixture, mustRun, skip } from '../agent/runtime/container/fixture.js'

const APPS = '/apis/edgeplane.io/v1/namespaces/default/apps'
const INSTANCES = '/apis/edgeplane.io/v1/namespaces/default/instances'

test('a container app: pinned, served, logged, adopted after an agent kill -9, removed', { skip, timeout: 300_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  const podman = new Podman()
  const node = `ctr-e2e-${process.pid}`
  const { dir, procs } = testScope(t, 'container-app', { before: () => { void podman.run(['rm', '--force', '--filter', `label=io.edgeplane.node=${node}`]) } })
  t.after(() => fx.close())
  const server = await startServerProc(join(dir, 'server'), ['--no-dns', '--allowed-registries', fx.registry.host])
  procs.push(server)
  const env = { ...server.env, EDGEPLANE_CONFIG: join(dir, 'config.json') }
  const token = (await cli(['token', 'create', '--join'], env)).stdout.trim()
  const agentArgs = ['agent', '--server', server.url, '--join-token', token, '--site', 'lab', '--region', 'eu-west', '--provider', 'self',
    '--address', '127.0.0.1', '--name', node, '--data-dir', join(dir, 'agent')]
  let agent = startCli(agentArgs)
  procs.push(agent)
  await waitNodesReady(server, 1)

  const manifest = { apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'web' }, spec: { replicas: 2, template: {
    runtime: 'container', image: fx.image, ports: [{ name: 'http' }], resources: { cpu: '100m', memory: '32Mi', pids: 64 },
    readOnlyRootFilesystem: true, volumes: [{ name: 'tmp', mountPath: '/tmp', sizeLimit: '8Mi' }],
    readiness: { http: { path: '/', port: 'http' }, periodSeconds: 0.5 },
  }, placement: { maxPerSite: 2 } } }
  const refused = await api(server.url, server.token, 'POST', APPS, { ...manifest, metadata: { name: 'evil' }, spec: { ...manifest.spec, template: { ...manifest.spec.template, image: 'evil.example.net/x:1' } } })
  assert.equal(refused.status, 422)
  assert.equal((await api(server.url, server.token, 'POST', APPS, manifest)).status, 201)

  const ready = await waitUntil('2 ready container instances', async () => {
    const { body } = await api(server.url, server.token, 'GET', INSTANCES)
    const items = body.items.filter((i: any) => i.status?.ready)
    return items.length === 2 ? items : undefined
  }, 180_000)
  const pinned = `${fx.image.replace(/:1\.0$/, '')}@${fx.digest}`
  for (const i of ready) assert.equal(i.spec.template.image, pinned, 'instances run the pinned digest')
  const ep = ready[0].status.endpoints.http
  assert.equal(await (await fetch(`http://${ep}/index.html`)).text(), 'hello from a container\n')

  const logs = await cli(['logs', ready[0].metadata.name], env)
  assert.equal(logs.code, 0, logs.stderr)
  assert.match(logs.stdout, /hello serving on 127\.0\.0\.1:\d+/)

  const before = (await podman.run(['ps', '--format', '{{.ID}} {{.StartedAt}}', '--filter', `label=io.edgeplane.node=${node}`])).stdout.trim().split('\n').sort()
  assert.equal(before.length, 2)
  await agent.kill('SIGKILL')
  assert.equal(await (await fetch(`http://${ep}/index.html`)).text(), 'hello from a container\n', 'serves with the agent dead')
  agent = startCli(agentArgs)
  procs.push(agent)
  await waitUntil('the restarted agent to adopt', () => /adopting instance/.test(agent.output()) || undefined, 60_000)
  await waitNodesReady(server, 1)
  await waitUntil('ready again', async () => (await api(server.url, server.token, 'GET', INSTANCES)).body.items.filter((i: any) => i.status?.ready).length === 2 || undefined, 60_000)
  const after = (await podman.run(['ps', '--format', '{{.ID}} {{.StartedAt}}', '--filter', `label=io.edgeplane.node=${node}`])).stdout.trim().split('\n').sort()
  assert.deepEqual(after, before, 'the same containers, not restarted')
  const inst = (await api(server.url, server.token, 'GET', INSTANCES)).body.items
  assert.ok(inst.every((i: any) => i.status.restarts === 0), JSON.stringify(inst.map((i: any) => i.status)))

  assert.equal((await api(server.url, server.token, 'DELETE', `${APPS}/web`)).status, 200)
  await waitUntil('containers removed', async () => (await podman.run(['ps', '-a', '-q', '--filter', `label=io.edgeplane.node=${node}`])).stdout.trim() === '' || undefined, 120_000)
})
