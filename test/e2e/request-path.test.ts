// The request path end to end: a real server with its DNS, two real agents each running a site
// gateway, real instances. `dig` with two client subnets gets two different sites; a site whose
// instance turns unhealthy leaves the answers within about one health interval, and its gateway
// overflows to the other site meanwhile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'undici'
import { api, cli, ROOT, startCli, startServerProc, waitUntil, waitNodesReady, freePort, testScope } from './fleet-helpers.js'

const run = promisify(execFile)

async function haveDig(): Promise<boolean> {
  try { await run('dig', ['-v']); return true } catch { return false }
}


async function dig(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args])
  return stdout
}

async function viaGateway(gateway: string, host: string, path = '/'): Promise<{ status: number; body: any }> {
  const res = await request(`http://${gateway}${path}`, { headers: { host } })
  const text = await res.body.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* text */ }
  return { status: res.statusCode, body }
}

test('DNS picks the nearest site, gateways serve and overflow, an unhealthy site leaves the answers', { timeout: 180_000 }, async (t) => {
  if (!(await haveDig())) {
    if (process.env.CI === 'true') assert.fail('dig is required in CI (Debian package dnsutils)')
    t.skip('dig is not installed (apt-get install dnsutils)')
    return
  }
  const pids: number[] = []
  const tmp = testScope(t, 'reqpath', { pids: () => pids })
  const procs = tmp.procs

  const dnsPort = await freePort('127.0.0.1')
  const server = await startServerProc(join(tmp.dir, 'server'), [
    '--heartbeat-seconds', '1', '--node-grace-seconds', '3',
    '--dns-listen', `127.0.0.1:${dnsPort}`, '--geo-rules', join(ROOT, 'examples', 'geo-rules.yaml'),
  ])
  procs.push(server)
  const joinToken = (await cli(['token', 'create', '--join', '--gateway', '--max-uses', '2'], server.env)).stdout.trim()

  const sites = [
    { name: 'paris', address: '127.0.41.1', geo: '48.8566,2.3522', region: 'eu-west' },
    { name: 'tokyo', address: '127.0.42.1', geo: '35.6762,139.6503', region: 'ap-northeast' },
  ]
  const gateways: Record<string, string> = {}
  for (const s of sites) {
    gateways[s.name] = `${s.address}:${await freePort(s.address)}`
    procs.push(startCli(['agent', '--server', server.url, '--join-token', joinToken, '--site', s.name, '--region', s.region,
      '--geo', s.geo, '--address', s.address, '--name', `${s.name}-gw`, '--data-dir', join(tmp.dir, s.name),
      '--gateway', gateways[s.name]]))
  }

  // Both sites must be up before the app is placed, or the scheduler spreads over the one it sees.
  await waitNodesReady(server, 2)

  const manifest = join(tmp.dir, 'web.yaml')
  writeFileSync(manifest, `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: web}
spec:
  replicas: 2
  template:
    command: ${process.execPath}
    args: [${join(ROOT, 'test', 'e2e', 'fixtures', 'toggle-app.mjs')}]
    ports: [{name: http}]
    readiness: {http: {path: /healthz, port: http}, periodSeconds: 0.5, failureThreshold: 1}
  placement: {spread: {by: site}}
  traffic: {host: web.edge.test, port: http}
`)
  assert.equal((await cli(['apply', '-f', manifest], server.env)).code, 0)

  const instances = await waitUntil('both instances ready', async () => {
    const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
    return body.items.length === 2 && body.items.every((i: any) => i.status?.ready) ? body.items : undefined
  }, 90_000)
  for (const i of instances) pids.push(i.status.pid)
  const paris = instances.find((i: any) => i.spec.site === 'paris')

  // DNS: the client's subnet decides the site; the ECS option comes back with a scope.
  const answerFor = async (subnet: string) => (await dig(dnsPort, ['web.edge.test', `+subnet=${subnet}`, '+short'])).trim().split('\n')[0]
  await waitUntil('DNS to know both sites', async () => (await answerFor('198.51.100.0/24')) === '127.0.41.1' && (await answerFor('203.0.113.0/24')) === '127.0.42.1' || undefined, 30_000)
  const full = await dig(dnsPort, ['web.edge.test', '+subnet=198.51.100.0/24'])
  assert.match(full, /CLIENT-SUBNET: 198\.51\.100\.0\/24\/24/)
  assert.match(full, /flags: qr aa/, 'authoritative answer')
  assert.match(await dig(dnsPort, ['web.edge.test', '+tcp', '+subnet=203.0.113.0/24', '+short']), /^127\.0\.42\.1/, 'TCP works')
  assert.match(await dig(dnsPort, ['nope.edge.test']), /status: NXDOMAIN/)
  assert.match(await dig(dnsPort, ['web.edge.test', 'AAAA']), /status: NOERROR[\s\S]*ANSWER: 0/, 'NODATA for AAAA')
  assert.match(await dig(dnsPort, ['example.com']), /status: REFUSED/)

  // The route API explains the same choice.
  const route = await api(server.url, server.token, 'GET', '/v1/route?host=web.edge.test&clientIp=203.0.113.7')
  assert.equal(route.status, 200)
  assert.equal(route.body.endpoints[0].site, 'tokyo')
  assert.match(route.body.endpoints[0].reason, /nearest/)
  const first = await api(server.url, server.token, 'GET', '/v1/route?host=web.edge.test&clientIp=203.0.113.7&limit=1')
  assert.deepEqual([first.body.endpoints.map((e: any) => e.site), first.body.total], [['tokyo'], { endpoints: 2, excluded: 0 }], 'the first site only, and how many there are')
  const bad = await api(server.url, server.token, 'GET', '/v1/route?host=web.edge.test&limit=0')
  assert.equal(bad.status, 400)
  assert.match(bad.body.message, /limit "0" is not a positive integer/)

  // Each gateway serves its own site's instance.
  await waitUntil('the gateways to have their routes', async () => (await viaGateway(gateways.paris, 'web.edge.test')).body.site === 'paris' || undefined, 30_000)
  assert.equal((await viaGateway(gateways.tokyo, 'web.edge.test')).body.site, 'tokyo')
  assert.equal((await viaGateway(gateways.paris, 'unknown.edge.test')).status, 404)

  // Paris's instance turns unhealthy: Paris leaves the answers for a Paris client…
  const sickAt = Date.now()
  await request(`http://${paris.status.endpoints.http}/sick`, { method: 'POST' }).then((r) => r.body.text())
  await waitUntil('Paris to leave the DNS answers', async () => {
    const lines = (await dig(dnsPort, ['web.edge.test', '+subnet=198.51.100.0/24', '+short'])).trim().split('\n')
    return !lines.includes('127.0.41.1') && lines[0] === '127.0.42.1' || undefined
  }, 30_000)
  const failoverMs = Date.now() - sickAt
  t.diagnostic(`Paris left the DNS answers ${failoverMs} ms after its instance turned unhealthy (probe period 0.5 s)`)
  // …and a request that still reaches Paris's gateway overflows to Tokyo.
  const overflow = await viaGateway(gateways.paris, 'web.edge.test')
  assert.equal(overflow.status, 200)
  assert.equal(overflow.body.site, 'tokyo', 'served by the next-best site')
  // Each gateway proves such forwards with its own key, certified by the fleet key, which stays on
  // the server: a leaked gateway speaks for itself only (issue 22).
  const serverKey = readFileSync(join(tmp.dir, 'server', 'peer.key'), 'utf8').trim()
  for (const s of sites) {
    const held = readFileSync(join(tmp.dir, s.name, 'peer.key'), 'utf8')
    assert.ok(!held.includes(serverKey), `${s.name}'s gateway does not hold the fleet key`)
    const grant = JSON.parse(held) as { node: string; key: string; cert: string }
    assert.ok(grant.node.startsWith(s.name) && grant.key && grant.cert, `${s.name}'s gateway holds its own certified key`)
    assert.equal(statSync(join(tmp.dir, s.name, 'peer.key')).mode & 0o777, 0o600)
  }

  // Healthy again: Paris comes back.
  await request(`http://${paris.status.endpoints.http}/well`, { method: 'POST' }).then((r) => r.body.text())
  await waitUntil('Paris to return to the answers', async () => (await answerFor('198.51.100.0/24')) === '127.0.41.1' || undefined, 30_000)

  const routeCli = await cli(['route', 'web.edge.test', '--client-ip', '198.51.100.9'], server.env)
  assert.equal(routeCli.code, 0, routeCli.stderr)
  assert.match(routeCli.stdout, /1\s+paris\s+127\.0\.41\.1/)
  const firstCli = await cli(['route', 'web.edge.test', '--client-ip', '198.51.100.9', '--limit', '1'], server.env)
  assert.equal(firstCli.code, 0, firstCli.stderr)
  assert.doesNotMatch(firstCli.stdout, /tokyo/)
  assert.match(firstCli.stdout, /\(not shown, see --limit: 1 ranked, 0 excluded\)/)
})
