// Rollouts end to end with real processes: a new revision whose readiness probe fails is rolled
// back automatically while the old instances keep serving; undo, then a healthy revision followed
// with `rollout status --watch` to success.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { request } from 'undici'
import { api, cli, ROOT, startCli, startServerProc, waitUntil, waitNodesReady, testScope } from './fleet-helpers.js'

function manifest(env: Record<string, string>): string {
  return `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: web}
spec:
  replicas: 2
  template:
    command: ${process.execPath}
    args: [${join(ROOT, 'test', 'e2e', 'fixtures', 'toggle-app.mjs')}]
    env: ${JSON.stringify(env)}
    ports: [{name: http}]
    readiness: {http: {path: /healthz, port: http}, periodSeconds: 0.5, failureThreshold: 1}
  placement: {spread: {by: site}}
  rollout:
    canary: {sites: [alpha]}
    soakSeconds: 1
    gate: {readyTimeoutSeconds: 6}
`
}

test('a revision that never gets ready is rolled back; the old instances serve throughout', { timeout: 240_000 }, async (t) => {
  const pids = new Set<number>()
  let probing = true
  const tmp = testScope(t, 'rollout', { pids: () => pids, before: () => { probing = false } })
  const procs = tmp.procs
  const server = await startServerProc(join(tmp.dir, 'server'), ['--heartbeat-seconds', '1', '--node-grace-seconds', '5', '--no-dns'])
  procs.push(server)
  const env = server.env
  const joinToken = (await cli(['token', 'create', '--join', '--max-uses', '2'], env)).stdout.trim()
  for (const [i, site] of ['alpha', 'beta'].entries()) {
    procs.push(startCli(['agent', '--server', server.url, '--join-token', joinToken, '--site', site, '--address', `127.0.5${i + 1}.1`,
      '--name', `${site}-1`, '--data-dir', join(tmp.dir, site)]))
  }
  await waitNodesReady(server, 2)

  const file = join(tmp.dir, 'web.yaml')
  const instances = async () => (await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')).body.items as any[]
  const app = async () => (await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/apps/web')).body

  writeFileSync(file, manifest({ VERSION: 'v1' }))
  assert.equal((await cli(['apply', '-f', file], env)).code, 0)
  const v1 = await waitUntil('v1 ready at both sites', async () => {
    const list = await instances()
    return list.length === 2 && list.every((i) => i.status?.ready) ? list : undefined
  }, 60_000)
  await waitUntil('v1 to be the last good revision', async () => (await app()).status?.rollout?.phase === 'Succeeded' || undefined)
  const v1Rev = v1[0].spec.revision
  for (const i of v1) pids.add(i.status.pid)

  // Probe the old instances the whole time: none may fail.
  const failures: string[] = []
  const answeredBy = new Set<number>()
  const prober = (async () => {
    while (probing) {
      for (const i of v1) {
        try {
          const res = await request(`http://${i.status.endpoints.http}/`)
          answeredBy.add((await res.body.json() as { pid: number }).pid)
        } catch (err) { failures.push(`${i.metadata.name}: ${(err as Error).message}`) }
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  })()

  // v2 starts sick: its readiness never passes.
  writeFileSync(file, manifest({ VERSION: 'v2', START_SICK: '1' }))
  assert.equal((await cli(['apply', '-f', file], env)).code, 0)
  const canary = await waitUntil('the v2 canary instance', async () => (await instances()).find((i) => i.spec.revision !== v1Rev))
  assert.equal(canary.spec.site, 'alpha', 'the canary site first')
  const rolledBack = await waitUntil('the automatic rollback', async () => {
    const a = await app()
    return a.status?.rollout?.phase === 'RolledBack' ? a : undefined
  }, 60_000)
  assert.match(rolledBack.status.rollout.message, /wave canary failed the health gate: alpha: not fully updated and ready within 6s/)
  await waitUntil('the v2 instance to be gone', async () => (await instances()).every((i) => i.spec.revision === v1Rev) || undefined, 30_000)
  const after = await instances()
  assert.deepEqual(after.map((i) => i.status.pid).sort(), v1.map((i) => i.status.pid).sort(), 'the old instances were never replaced')
  assert.equal(failures.length, 0, `old instances kept serving: ${failures.slice(0, 3).join('; ')}`)
  assert.deepEqual([...answeredBy].sort(), v1.map((i) => i.status.pid).sort())
  const events = (await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb')).body.items
  assert.ok(events.some((e: any) => e.reason === 'RolloutRolledBack' && e.type === 'Warning' && /ready within 6s/.test(e.message)), 'an event says why')

  const status = await cli(['rollout', 'status', 'web'], env)
  assert.equal(status.code, 1, 'rollout status exits non-zero after a rollback')
  assert.match(status.stdout, /RolledBack/)
  assert.match(status.stdout, /alpha\s+Failed/)

  // Undo: the template returns to v1, already everywhere: done at once, nothing restarted.
  const undo = await cli(['rollout', 'undo', 'web'], env)
  assert.equal(undo.code, 0, undo.stderr)
  assert.match(undo.stdout, /rolled back to revision 1/)
  await waitUntil('the undo to settle', async () => {
    const a = await app()
    return a.status?.revision === v1Rev && a.status?.rollout?.phase === 'Succeeded' || undefined
  })
  const history = await cli(['rollout', 'history', 'web'], env)
  assert.match(history.stdout, /1\s+\S+\s+.*current, last good/)
  assert.match(history.stdout, /\n2\s+/)

  // A healthy v3 rolls out wave by wave; `rollout status --watch` follows it to success.
  probing = false
  await prober
  writeFileSync(file, manifest({ VERSION: 'v3' }))
  assert.equal((await cli(['apply', '-f', file], env)).code, 0)
  const watched = await cli(['rollout', 'status', 'web', '--watch'], env)
  assert.equal(watched.code, 0, watched.stdout + watched.stderr)
  assert.match(watched.stdout, /wave 1\/2 canary/)
  assert.match(watched.stdout, /Succeeded/)
  const v3 = await instances()
  for (const i of v3) if (i.status?.pid) pids.add(i.status.pid)
  assert.equal(v3.length, 2)
  assert.ok(v3.every((i) => i.spec.revision !== v1Rev && i.status.ready), 'both sites run v3')
})
