// End to end on loopback: a real server and two real agent processes, driven through the CLI.
// Apply an app → instances become ready at both sites → HTTP reaches each → delete → processes gone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { api, cli, pidAlive, startCli, startServerProc, waitUntil, waitNodesReady, workloadManifest, freePort, testScope } from './fleet-helpers.js'

test('server + two agents: apply, serve, logs, delete', { timeout: 120_000 }, async (t) => {
  const instancePids: number[] = []
  const tmp = testScope(t, 'fleet', { pids: () => instancePids })
  const procs = tmp.procs

  const server = await startServerProc(join(tmp.dir, 'server'), ['--heartbeat-seconds', '1', '--node-grace-seconds', '3'])
  procs.push(server)
  assert.match(server.url, /^https:/, 'the server speaks TLS by default')
  const env = { ...server.env, EDGEPLANE_CONFIG: join(tmp.dir, 'config.json') }

  const joinToken = await cli(['token', 'create', '--join', '--max-uses', '2'], env)
  assert.equal(joinToken.code, 0, joinToken.stderr)
  const token = joinToken.stdout.trim()
  assert.match(token, /^epj\.[0-9a-f]{12}\.[\w-]+\.[0-9a-f]{64}$/, 'the join token is printed alone on stdout and pins the CA')

  const sites = [
    { site: 'lyon', address: '127.0.21.1', region: 'eu-west', geo: '45.76,4.84' },
    { site: 'osaka', address: '127.0.22.1', region: 'ap-northeast', geo: '34.69,135.50' },
  ]
  const metricsPort = await freePort('127.0.21.1')
  for (const s of sites) {
    const agent = startCli(['agent', '--server', server.url, '--join-token', token, '--site', s.site, '--region', s.region,
      '--provider', 'self', '--geo', s.geo, '--address', s.address, '--name', `${s.site}-1`, '--label', 'e2e=yes',
      '--data-dir', join(tmp.dir, s.site), ...(s.site === 'lyon' ? ['--metrics-listen', `127.0.21.1:${metricsPort}`] : [])])
    procs.push(agent)
  }

  await waitNodesReady(server, 2)

  const sitesOut = await cli(['get', 'sites'], env)
  assert.equal(sitesOut.code, 0, sitesOut.stderr)
  assert.match(sitesOut.stdout, /lyon\s+eu-west\s+self\s+edge\s+1\s+1/)
  assert.match(sitesOut.stdout, /osaka\s+ap-northeast/)

  const manifest = join(tmp.dir, 'app.yaml')
  writeFileSync(manifest, workloadManifest('web', { replicas: 2, extra: `  placement:
    spread: {by: site}
    siteSelector: {matchLabels: {e2e: "yes"}}
` }))
  const applied = await cli(['apply', '-f', manifest], env)
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stdout, /app\/web created/)

  const instances = await waitUntil('two ready instances', async () => {
    const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
    return body.items.length === 2 && body.items.every((i: any) => i.status?.ready) ? body.items : undefined
  }, 60_000)
  assert.deepEqual(instances.map((i: any) => i.spec.site).sort(), ['lyon', 'osaka'], 'spread one per site')

  for (const inst of instances) {
    const ep = inst.status.endpoints.http as string
    const expected = sites.find((s) => s.site === inst.spec.site)!
    assert.ok(ep.startsWith(expected.address + ':'), `instance binds its site's address: ${ep}`)
    const res = await fetch(`http://${ep}/`)
    const body = await res.json() as { site: string; instance: string; pid: number }
    assert.equal(body.site, inst.spec.site)
    assert.equal(body.instance, inst.metadata.name)
    assert.equal(body.pid, inst.status.pid)
    instancePids.push(body.pid)
  }

  // Prometheus on both roles: the agent's own listener, the server's (admin token).
  const agentMetrics = await (await fetch(`http://127.0.21.1:${metricsPort}/metrics`)).text()
  assert.match(agentMetrics, /edgeplane_agent_instances\{phase="Running",ready="true"\} 1/)
  assert.match(agentMetrics, /edgeplane_agent_link_up 1/)
  const serverMetrics = await api(server.url, server.token, 'GET', '/metrics')
  assert.match(serverMetrics.body, /edgeplane_links_connected 2/)
  assert.match(serverMetrics.body, /edgeplane_dns_queries_total \d+/)
  assert.match(serverMetrics.body, /edgeplane_accept_queue 0/, 'the accept gate: nobody waiting')
  assert.match(serverMetrics.body, /edgeplane_accept_closed_total 0/)

  const got = await cli(['get', 'instances', '-o', 'json'], env)
  assert.equal(JSON.parse(got.stdout).items.length, 2, '-o json of a list is {"items": [...]}')
  const app = await cli(['get', 'apps'], env)
  assert.match(app.stdout, /web\s+2\s+2\/2/)

  const logs = await cli(['logs', instances[0].metadata.name, '--tail', '5'], env)
  assert.equal(logs.code, 0, logs.stderr)
  assert.match(logs.stdout, /hello listening on/)

  const described = await cli(['describe', 'app', 'web'], env)
  assert.match(described.stdout, /Placed/, 'describe shows recent events')

  const deleted = await cli(['delete', '-f', manifest], env)
  assert.equal(deleted.code, 0, deleted.stderr)
  await waitUntil('instance processes to exit', () => instancePids.every((p) => !pidAlive(p)) || undefined, 30_000)
  const after = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
  assert.equal(after.body.items.length, 0)

  const bad = await cli(['get', 'app', 'nope'], env)
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /app "nope" not found/)
})
