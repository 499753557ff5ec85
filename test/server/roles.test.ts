// Issue 22, roles: API tokens bound to a built-in role (and a namespace, or apps); a refusal is a 403
// Status naming the missing permission; SelfSubjectAccessReview answers with the same check, and
// the real kubectl's `auth can-i` works against a running server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { APPS, V1, SITES, appManifest, assertStatus, json, siteManifest, startTestServer, type TestServer } from './helpers.js'

async function tokenFor(ts: TestServer, body: Record<string, unknown>): Promise<string> {
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin', ...body } })
  assert.equal(res.statusCode, 201, res.body)
  return json(res).token
}
const TEAM = `${V1}/namespaces/team-a/apps`

test('viewer reads, changes nothing; operator changes everything but tokens; 403 names the permission', async (t) => {
  const ts = await startTestServer(t)
  const viewer = await tokenFor(ts, { role: 'viewer' })
  const operator = await tokenFor(ts, { role: 'operator' })
  assert.equal((await ts.req({ method: 'GET', url: APPS, token: viewer })).statusCode, 200)
  assert.equal((await ts.req({ method: 'GET', url: '/metrics', token: viewer })).statusCode, 200)
  const body = assertStatus(await ts.req({ method: 'POST', url: APPS, token: viewer, payload: appManifest('web') }), 403, 'Forbidden')
  assert.match(body.message, /role viewer.*"create on apps in namespace "default""/)
  assertStatus(await ts.req({ method: 'GET', url: '/v1/tokens', token: viewer }), 403, 'Forbidden')
  assert.equal((await ts.req({ method: 'POST', url: APPS, token: operator, payload: appManifest('web') })).statusCode, 201)
  assert.equal((await ts.req({ method: 'POST', url: SITES, token: operator, payload: siteManifest('par-1') })).statusCode, 201)
  assert.match(assertStatus(await ts.req({ method: 'POST', url: '/v1/tokens', token: operator, payload: { type: 'admin' } }), 403, 'Forbidden').message, /create on tokens/)
  assertStatus(await ts.req({ method: 'POST', url: '/v1/join', token: operator, payload: { node: 'n1', site: 'par-1', reprovision: true } }), 403, 'Forbidden')
})

test('a deployer works in its namespace only and reads Sites; tokens check their role fields', async (t) => {
  const ts = await startTestServer(t)
  const dep = await tokenFor(ts, { role: 'deployer', namespace: 'team-a' })
  assert.equal((await ts.req({ method: 'POST', url: TEAM, token: dep, payload: appManifest('web', { namespace: 'team-a' }) })).statusCode, 201)
  assert.match(assertStatus(await ts.req({ method: 'POST', url: APPS, token: dep, payload: appManifest('web') }), 403, 'Forbidden').message, /namespace "default"/)
  assertStatus(await ts.req({ method: 'GET', url: `${V1}/apps`, token: dep }), 403, 'Forbidden')
  assert.equal((await ts.req({ method: 'GET', url: SITES, token: dep })).statusCode, 200)
  assertStatus(await ts.req({ method: 'POST', url: SITES, token: dep, payload: siteManifest('x') }), 403, 'Forbidden')
  for (const bad of [{ role: 'root' }, { role: 'deployer' }, { role: 'viewer', namespace: 'a' }, { role: 'session-client' }, { role: 'session-client', apps: ['Bad'] }, { role: 'admin', apps: ['a/b'] }]) {
    assertStatus(await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin', ...bad } }), 422, 'Invalid')
  }
  assertStatus(await ts.req({ method: 'POST', url: '/v1/tokens', payload: { role: 'viewer' } }), 422, 'Invalid')
})

test('a session client may only use /v1/sessions, for its apps', async (t) => {
  const ts = await startTestServer(t)
  const sc = await tokenFor(ts, { role: 'session-client', apps: ['default/game'] })
  assertStatus(await ts.req({ method: 'GET', url: APPS, token: sc }), 403, 'Forbidden')
  assert.match(assertStatus(await ts.req({ method: 'POST', url: '/v1/sessions', token: sc, payload: { app: 'other' } }), 403, 'Forbidden').message, /sessions of app default\/other/)
  // Its own app gets past authorization (no such app here: the session service says so, not a 403).
  const own = await ts.req({ method: 'POST', url: '/v1/sessions', token: sc, payload: { app: 'game' } })
  assert.notEqual(own.statusCode, 403, own.body)
})

test('the Kubernetes-shaped doors (core events, apps/v1 Deployments, /v1/import) ask the permission of the kind behind them', async (t) => {
  const ts = await startTestServer(t)
  const viewer = await tokenFor(ts, { role: 'viewer' })
  const sc = await tokenFor(ts, { role: 'session-client', apps: ['default/game'] })
  const dep = await tokenFor(ts, { role: 'deployer', namespace: 'team-a' })
  const operator = await tokenFor(ts, { role: 'operator' })
  assert.equal((await ts.req({ method: 'GET', url: '/api/v1/namespaces/default/events', token: viewer })).statusCode, 200)
  assertStatus(await ts.req({ method: 'GET', url: '/api/v1/namespaces/default/events', token: sc }), 403, 'Forbidden')
  assertStatus(await ts.req({ method: 'GET', url: '/api/v1/events', token: dep }), 403, 'Forbidden')
  assert.equal((await ts.req({ method: 'GET', url: '/api/v1/namespaces/team-a/events', token: dep })).statusCode, 200)
  const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: web, image: 127.0.0.1:5000/demo/hello:1.0}]}}}\n'
  const yaml = { 'content-type': 'application/yaml' }
  assertStatus(await ts.req({ method: 'POST', url: '/v1/import?dryRun=All', token: dep, headers: yaml, payload: manifest }), 403, 'Forbidden')
  assertStatus(await ts.req({ method: 'POST', url: '/v1/import?dryRun=All', token: viewer, headers: yaml, payload: manifest }), 403, 'Forbidden')
  assert.equal((await ts.req({ method: 'POST', url: '/v1/import?dryRun=All', token: operator, headers: yaml, payload: manifest })).statusCode, 200)
  assertStatus(await ts.req({ method: 'POST', url: '/apis/apps/v1/namespaces/default/deployments?dryRun=All', token: dep, headers: yaml, payload: manifest }), 403, 'Forbidden')
  assert.notEqual((await ts.req({ method: 'POST', url: '/apis/apps/v1/namespaces/team-a/deployments?dryRun=All', token: dep, headers: yaml, payload: manifest })).statusCode, 403)
})

test('SelfSubjectAccessReview answers with the role check', async (t) => {
  const ts = await startTestServer(t)
  const dep = await tokenFor(ts, { role: 'deployer', namespace: 'team-a' })
  const review = async (token: string, attrs: Record<string, unknown>) => {
    const res = await ts.req({ method: 'POST', url: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', token, payload: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } } })
    assert.equal(res.statusCode, 201, res.body)
    return json(res).status.allowed
  }
  assert.equal(await review(dep, { verb: 'create', group: 'edgeplane.io', resource: 'apps', namespace: 'team-a' }), true)
  assert.equal(await review(dep, { verb: 'create', group: 'edgeplane.io', resource: 'apps', namespace: 'default' }), false)
  assert.equal(await review(dep, { verb: 'delete', group: 'edgeplane.io', resource: 'sites' }), false)
  assert.equal(await review(ts.admin, { verb: 'delete', group: 'edgeplane.io', resource: 'sites' }), true)
  const groups = json(await ts.req({ method: 'GET', url: '/apis', token: dep })).groups.map((g: any) => g.name)
  assert.deepEqual(groups.sort(), ['apps', 'authorization.k8s.io', 'edgeplane.io'])
})

const run = promisify(execFile)
async function haveKubectl(): Promise<boolean> {
  try { await run('kubectl', ['version', '--client']); return true } catch { return false }
}

test('the real kubectl: auth can-i against a running server', { timeout: 120_000 }, async (t) => {
  if (!(await haveKubectl())) {
    if (process.env.CI === 'true') assert.fail('kubectl is required in CI')
    t.skip('kubectl is not installed')
    return
  }
  const ts = await startTestServer(t, { tls: true })
  const dep = await tokenFor(ts, { role: 'deployer', namespace: 'team-a' })
  const dir = mkdtempSync(join(tmpdir(), 'ep-kubectl-'))
  const caFile = join(dir, 'ca.crt')
  writeFileSync(caFile, ts.srv.ca!)
  const kubeconfig = join(dir, 'config')
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'ep',
    clusters: [{ name: 'ep', cluster: { server: ts.srv.url, 'certificate-authority': caFile } }],
    users: [{ name: 'dep', user: { token: dep } }],
    contexts: [{ name: 'ep', context: { cluster: 'ep', user: 'dep' } }],
  }))
  const canI = async (...args: string[]) => {
    try {
      const r = await run('kubectl', ['--kubeconfig', kubeconfig, ...(process.env.KDEBUG ? ['-v=8'] : []), 'auth', 'can-i', ...args], { env: { ...process.env, HOME: dir } })
      return r.stdout.trim()
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string }
      if (e.code === 1 && e.stdout?.trim().startsWith('no')) return 'no'
      throw new Error(`kubectl failed (${e.code}): ${e.stdout} ${e.stderr ?? err}`)
    }
  }
  assert.equal(await canI('create', 'apps.edgeplane.io', '--namespace', 'team-a'), 'yes')
  assert.equal(await canI('create', 'apps.edgeplane.io', '--namespace', 'default'), 'no')
  assert.equal(await canI('list', 'sites.edgeplane.io'), 'yes')
  assert.equal(await canI('delete', 'sites.edgeplane.io'), 'no')
})
