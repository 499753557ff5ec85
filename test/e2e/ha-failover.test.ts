// High availability with real processes (issue 23): three servers on one real PostgreSQL, three
// agents (each given all three servers), an app with an instance on each site. kill -9 of the
// leader: another server holds the controllers' lease within 5 s, an apply through a survivor is
// placed and reaches the agents, DNS keeps answering from the survivors, no instance restarts, no
// duplicate, no acknowledged write lost. Then kill -9 of PostgreSQL: DNS still answers, writes are
// refused with a clear 503, and everything works again once it is back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { api, cli, freePort, instanceProcesses, startAgentProc, startServerProc, testScope, waitUntil, type Proc, type ServerProc, workloadManifest } from './fleet-helpers.js'
import { pgSkip, startPostgres } from '../store/postgres-server.js'

const API = '/apis/edgeplane.io/v1'
const FLAGS = ['--heartbeat-seconds', '1', '--node-grace-seconds', '6']
const run = promisify(execFile)
const digMissing = spawnSync('dig', ['-v']).error ? 'dig is not installed (apt-get install dnsutils)' : undefined
const skip = pgSkip || (digMissing && process.env.CI !== 'true' ? digMissing : false)

async function dig(port: number, name: string): Promise<string[]> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', '+short', name])
  return stdout.trim().split('\n').filter(Boolean)
}

test('three servers on one PostgreSQL: kill -9 the leader, then PostgreSQL', { skip, timeout: 600_000 }, async (t) => {
  const began = Date.now()
  const mark = (what: string) => t.diagnostic(`${what} at ${((Date.now() - began) / 1000).toFixed(1)}s`)
  const pgServer = await startPostgres({ fsync: false })
  const nodeNames: string[] = []
  const scope = testScope(t, 'ha', { pids: () => instanceProcesses(nodeNames).map((p) => p.pid) })
  t.after(() => pgServer.stop())
  const dbUrl = await pgServer.createDatabase('ha')
  const sql = async (text: string): Promise<any[]> => {
    const c = new pg.Client({ connectionString: dbUrl })
    await c.connect()
    try { return (await c.query(text)).rows } finally { await c.end() }
  }
  const leaderId = async (): Promise<string | undefined> =>
    (await sql("SELECT holder FROM ep_leases WHERE name = 'controllers' AND expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint"))[0]?.holder

  // Server 1 makes the shared secrets (CA, peer key; the admin token's hash is in the database);
  // the others get a copy of its data dir, as an operator would copy it (README, "Running several servers").
  const servers: (ServerProc & { id: string; dns: number })[] = []
  const start = async (i: number): Promise<void> => {
    const dir = join(scope.dir, `server-${i}`)
    if (i > 1) cpSync(join(scope.dir, 'server-1'), dir, { recursive: true, filter: (src) => !src.endsWith('.db') })
    const dns = await freePort('127.0.0.1')
    const s = await startServerProc(dir, [...FLAGS, '--store', dbUrl, '--server-id', `s${i}`, '--dns-listen', `127.0.0.1:${dns}`])
    scope.procs.push(s)
    servers[i - 1] = { ...s, id: `s${i}`, dns }
  }
  await start(1)
  await Promise.all([start(2), start(3)])
  mark('three servers up')
  const env = { ...servers[0].env, EDGEPLANE_CONFIG: join(scope.dir, 'config.json') }
  const joinToken = (await cli(['token', 'create', '--join', '--gateway', '--max-uses', '3'], env)).stdout.trim()
  assert.ok(joinToken)

  // Agent i lists server i first: the links spread over the three servers.
  const urls = servers.map((s) => s.url)
  const agents: Proc[] = []
  for (let i = 0; i < 3; i++) {
    const address = `127.0.${51 + i}.1`
    const name = `ha-site${i}`
    nodeNames.push(name)
    const list = [...urls.slice(i), ...urls.slice(0, i)].join(',')
    const gw = `${address}:${await freePort(address)}`
    const p = startAgentProc(list, { site: `site${i}`, name, address, dataDir: join(scope.dir, `agent-${i}`), labels: { ha: 'yes' } }, joinToken, ['--gateway', gw])
    scope.procs.push(p)
    agents.push(p)
  }
  const readyNodes = async (s: ServerProc) => {
    const { body } = await api(s.url, s.token, 'GET', `${API}/nodes`)
    return body.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
  }
  await waitUntil('3 nodes Ready', async () => (await readyNodes(servers[0])).length === 3 || undefined, 90_000)
  mark('agents Ready')

  const manifest = join(scope.dir, 'web.yaml')
  writeFileSync(manifest, workloadManifest('web', { replicas: 3, extra: `  placement:
    spread: {by: site}
    siteSelector: {matchLabels: {ha: 'yes'}}
  traffic: {host: web.edge.test, port: http}
` }))
  assert.equal((await cli(['apply', '-f', manifest], env)).code, 0)
  const instancesOf = async (s: ServerProc, app: string): Promise<any[]> => {
    const { body, status } = await api(s.url, s.token, 'GET', `${API}/namespaces/default/instances`)
    assert.equal(status, 200, JSON.stringify(body))
    return body.items.filter((i: any) => i.spec.app === app)
  }
  const before = await waitUntil('3 ready instances of web', async () => {
    const items = await instancesOf(servers[1], 'web')
    return items.length === 3 && items.every((i) => i.status?.ready) ? items : undefined
  }, 120_000)
  assert.deepEqual(new Set(before.map((i) => i.spec.site)).size, 3, 'one instance per site')
  const pidsBefore = instanceProcesses(nodeNames).map((p) => p.pid).sort()
  assert.equal(pidsBefore.length, 3)
  for (const s of servers) {
    await waitUntil(`DNS of ${s.id} answers`, async () => (await dig(s.dns, 'web.edge.test')).length > 0 || undefined)
  }
  mark('app ready, DNS answers on every server')

  // Acknowledged writes through every server while the leader dies: none may be lost.
  const acked: string[] = []
  let writing = true
  const writer = (async () => {
    for (let n = 0; writing; n++) {
      const s = servers[n % 3]
      const name = `ack-${n}`
      const res = await api(s.url, s.token, 'POST', `${API}/namespaces/acks/apps`, { apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name, namespace: 'acks' }, spec: { replicas: 0, template: { command: '/bin/true' } } }).catch(() => undefined)
      if (res?.status === 201) acked.push(name)
      await new Promise((r) => setTimeout(r, 20))
    }
  })()

  const leader = await waitUntil('a leader', leaderId)
  const dead = servers.find((s) => s.id === leader)!
  const survivors = servers.filter((s) => s !== dead)
  await new Promise((r) => setTimeout(r, 500)) // some writes before the kill
  const killedAt = Date.now()
  await dead.kill('SIGKILL')
  const next = await waitUntil('another leader', async () => { const id = await leaderId(); return id && id !== leader ? id : undefined }, 15_000)
  const failoverMs = Date.now() - killedAt
  t.diagnostic(`leader ${leader} killed; ${next} leads ${failoverMs} ms later (lease 3 s)`)
  assert.ok(failoverMs <= 5000, `failover took ${failoverMs} ms`)
  await new Promise((r) => setTimeout(r, 500))
  writing = false
  await writer

  // An apply through a survivor is placed by the new leader and reaches the agents.
  const env2 = { ...survivors[0].env, EDGEPLANE_CONFIG: join(scope.dir, 'config2.json') }
  writeFileSync(manifest.replace('web.yaml', 'api.yaml'), workloadManifest('api', { replicas: 3, extra: `  placement:
    spread: {by: site}
    siteSelector: {matchLabels: {ha: 'yes'}}
` }))
  assert.equal((await cli(['apply', '-f', manifest.replace('web.yaml', 'api.yaml')], env2)).code, 0)
  await waitUntil('3 ready instances of api, placed after the failover', async () => {
    const items = await instancesOf(survivors[1], 'api')
    return items.length === 3 && items.every((i) => i.status?.ready) || undefined
  }, 120_000)
  mark('apply after failover placed and running')

  for (const s of survivors) assert.ok((await dig(s.dns, 'web.edge.test')).length > 0, `DNS of ${s.id} answers after the failover`)
  const after = await instancesOf(survivors[0], 'web')
  assert.deepEqual(after.map((i) => i.metadata.name).sort(), before.map((i) => i.metadata.name).sort(), 'the same instances, no duplicate')
  assert.ok(after.every((i) => (i.status?.restarts ?? 0) === 0), 'no instance restarted')
  const webPids = instanceProcesses(nodeNames).filter((p) => after.some((i) => i.metadata.name === p.instance)).map((p) => p.pid).sort()
  assert.deepEqual(webPids, pidsBefore, 'the same instance processes run')
  const { body: ackList } = await api(survivors[0].url, survivors[0].token, 'GET', `${API}/namespaces/acks/apps`)
  const stored = new Set(ackList.items.map((a: any) => a.metadata.name))
  assert.ok(acked.length > 10, `only ${acked.length} writes were acknowledged`)
  assert.deepEqual(acked.filter((n) => !stored.has(n)), [], 'every acknowledged write is stored')
  mark(`${acked.length} acknowledged writes all stored`)

  // PostgreSQL dies: DNS keeps answering from the caches, writes are refused with a clear 503.
  await pgServer.kill()
  for (const s of survivors) assert.ok((await dig(s.dns, 'web.edge.test')).length > 0, `DNS of ${s.id} answers without the database`)
  const refused = await api(survivors[0].url, survivors[0].token, 'POST', `${API}/namespaces/acks/apps`, { apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'while-down', namespace: 'acks' }, spec: { replicas: 0, template: { command: '/bin/true' } } })
  assert.equal(refused.status, 503, JSON.stringify(refused.body))
  assert.match(JSON.stringify(refused.body), /database \(PostgreSQL\) is unreachable/)
  assert.deepEqual(instanceProcesses(nodeNames).filter((p) => after.some((i) => i.metadata.name === p.instance)).map((p) => p.pid).sort(), pidsBefore, 'instances run on')
  mark('database down: DNS answers, writes refused with 503')

  await pgServer.restart()
  await waitUntil('writes accepted again', async () => (await api(survivors[1].url, survivors[1].token, 'POST', `${API}/namespaces/acks/apps`, { apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'after-restart', namespace: 'acks' }, spec: { replicas: 0, template: { command: '/bin/true' } } })).status === 201 || undefined, 30_000)
  await waitUntil('a leader again', leaderId, 15_000)
  const scaled = await api(survivors[0].url, survivors[0].token, 'PATCH', `${API}/namespaces/default/apps/api`, workloadManifest('api', { replicas: 2, extra: `  placement:
    spread: {by: site}
    siteSelector: {matchLabels: {ha: 'yes'}}
` }))
  assert.ok(scaled.status < 300, JSON.stringify(scaled.body))
  await waitUntil('api scaled to 2 after the database came back', async () => (await instancesOf(survivors[1], 'api')).length === 2 || undefined, 120_000)
    .catch(async (err) => {
      const items = await instancesOf(survivors[1], 'api')
      throw new Error(`${(err as Error).message}; leader ${await leaderId()}; api instances: ${items.map((i) => `${i.metadata.name}@${i.spec.site} ${i.status?.phase} deleting=${!!i.metadata.deletionTimestamp}`).join(', ')}`)
    })
  const finalWeb = await instancesOf(survivors[1], 'web')
  assert.ok(finalWeb.every((i) => (i.status?.restarts ?? 0) === 0) && finalWeb.length === 3, 'web untouched throughout')
  mark('recovered after the database came back')
})
