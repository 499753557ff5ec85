// Authentication and authorisation through inject(): who may call what, and the Status each
// refusal returns. Join tokens and node credentials are obtained through the API itself.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { APPS, assertStatus, json, startTestServer, type TestServer } from './helpers.js'

async function joinToken(ts: TestServer, body: Record<string, unknown> = {}): Promise<{ token: string; id: string; expiresAt?: string }> {
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: body })
  assert.equal(res.statusCode, 201, res.body)
  const out = json(res)
  assert.equal(out.type, 'join')
  assert.match(out.token, /^epj\.[0-9a-f]{12}\./)
  return out
}

async function join(ts: TestServer, token: string, node = 'n1', site = 'par-1') {
  return ts.req({ method: 'POST', url: '/v1/join', token, payload: { node, site } })
}

async function nodeCredential(ts: TestServer, node = 'n1'): Promise<string> {
  const { token } = await joinToken(ts)
  const res = await join(ts, token, node)
  assert.equal(res.statusCode, 200, res.body)
  const out = json(res)
  assert.deepEqual({ node: out.node, site: out.site }, { node, site: 'par-1' })
  assert.match(out.credential, /^epn\.[0-9a-f]{12}\./)
  return out.credential
}

test('the admin token opens the resource API', async (t) => {
  const ts = await startTestServer(t)
  assert.match(ts.admin, /^epa\.[0-9a-f]{12}\.\S+$/)
  const res = await ts.req({ method: 'GET', url: APPS })
  assert.equal(res.statusCode, 200)
  assert.equal(json(res).kind, 'AppList')
})

test('no token, a malformed token, an unknown token or a wrong secret → 401 Status', async (t) => {
  const ts = await startTestServer(t)
  const [, adminId] = ts.admin.split('.')
  const cases: [string, Record<string, string>][] = [
    ['no header', {}],
    ['not bearer', { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` }],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['garbage', { authorization: 'Bearer garbage' }],
    ['bad prefix', { authorization: `Bearer xyz.${adminId}.secret` }],
    ['bad id', { authorization: 'Bearer epa.NOTHEX.secret' }],
    ['no secret', { authorization: `Bearer epa.${adminId}.` }],
    ['unknown id', { authorization: 'Bearer epa.0123456789ab.c2VjcmV0' }],
    ['wrong secret', { authorization: `Bearer epa.${adminId}.not-the-secret` }],
    ['right secret, wrong type prefix', { authorization: `Bearer epj.${ts.admin.split('.').slice(1).join('.')}` }],
  ]
  for (const [label, headers] of cases) {
    const res = await ts.srv.app.inject({ method: 'GET', url: APPS, headers })
    const body = assertStatus(res, 401, 'Unauthorized')
    assert.equal(body.reason, 'Unauthorized', label)
    assert.equal(body.details.retryable, false)
    assert.ok(!res.body.includes(ts.admin), `${label}: the response does not echo the admin token`)
  }
  const none = json(await ts.srv.app.inject({ method: 'GET', url: APPS }))
  assert.match(none.message, /Authorization: Bearer/)
  const malformed = json(await ts.srv.app.inject({ method: 'GET', url: APPS, headers: { authorization: 'Bearer garbage' } }))
  assert.match(malformed.message, /malformed/)
})

test('auth is checked before anything else: a bad token on an unknown route or a bad body is still 401', async (t) => {
  const ts = await startTestServer(t)
  assertStatus(await ts.req({ method: 'GET', url: '/nowhere', token: null }), 401, 'Unauthorized')
  assertStatus(await ts.req({ method: 'POST', url: APPS, token: 'garbage', headers: { 'content-type': 'application/json' }, payload: '{' }), 401, 'Unauthorized')
})

test('an expired join token → 401 TokenExpired, on the join route and on the resource API', async (t) => {
  const clock = new ManualClock()
  const ts = await startTestServer(t, { clock })
  const { token, expiresAt } = await joinToken(ts, { ttlSeconds: 60 })
  assert.equal(expiresAt, new Date(clock.now() + 60_000).toISOString())
  clock.advance(61_000)
  const res = await join(ts, token)
  const body = assertStatus(res, 401, 'TokenExpired')
  assert.equal(body.reason, 'Unauthorized')
  assert.match(body.message, /expired/)
  assertStatus(await ts.req({ method: 'GET', url: APPS, token }), 401, 'TokenExpired')
  // Nothing was spent and no credential was made.
  const items = json(await ts.req({ method: 'GET', url: '/v1/tokens' })).items
  assert.equal(items.find((i: any) => token.includes(i.id)).uses, 0)
  assert.equal(items.filter((i: any) => i.type === 'node').length, 0)
})

test('a join token is still valid just before its expiry', async (t) => {
  const clock = new ManualClock()
  const ts = await startTestServer(t, { clock })
  const { token } = await joinToken(ts, { ttlSeconds: 60 })
  clock.advance(59_000)
  assert.equal((await join(ts, token)).statusCode, 200)
})

test('a node credential on the resource API → 403; on /metrics and token admin → 403', async (t) => {
  const ts = await startTestServer(t)
  const credential = await nodeCredential(ts)
  for (const [method, url] of [['GET', APPS], ['GET', '/metrics'], ['GET', '/v1/tokens'], ['POST', '/v1/tokens'], ['GET', '/apis']] as const) {
    const body = assertStatus(await ts.req({ method, url, token: credential, ...(method === 'POST' ? { payload: {} } : {}) }), 403, 'Forbidden')
    assert.match(body.message, /node credential may only be used on the agent link/, url)
  }
})

test('a join token on the resource API → 403, and it is not spent', async (t) => {
  const ts = await startTestServer(t)
  const { token } = await joinToken(ts, { maxUses: 1 })
  const body = assertStatus(await ts.req({ method: 'GET', url: APPS, token }), 403, 'Forbidden')
  assert.match(body.message, /join token may only be used to join/)
  assertStatus(await ts.req({ method: 'POST', url: APPS, token, payload: {} }), 403, 'Forbidden')
  assert.equal((await join(ts, token)).statusCode, 200, 'the one use is still available')
})

test('the admin token cannot be used to join', async (t) => {
  const ts = await startTestServer(t)
  assertStatus(await join(ts, ts.admin), 403, 'Forbidden')
  assertStatus(await ts.req({ method: 'POST', url: '/v1/join', token: null, payload: { node: 'n1', site: 's' } }), 401, 'Unauthorized')
  assertStatus(await join(ts, 'epj.nothex.x'), 401, 'Unauthorized')
})

test('the agent link refuses the admin token before upgrading', async (t) => {
  const ts = await startTestServer(t)
  const body = assertStatus(await ts.req({ method: 'GET', url: '/v1/link' }), 403, 'Forbidden')
  assert.match(body.message, /node credential/)
})

test('/healthz and /readyz need no token', async (t) => {
  const ts = await startTestServer(t)
  for (const url of ['/healthz', '/readyz', '/healthz?verbose=1']) {
    const res = await ts.req({ method: 'GET', url, token: null })
    assert.equal(res.statusCode, 200, url)
    assert.deepEqual(json(res), { status: 'ok' })
  }
})

test('/metrics needs the admin token and returns Prometheus text', async (t) => {
  const ts = await startTestServer(t)
  assertStatus(await ts.req({ method: 'GET', url: '/metrics', token: null }), 401, 'Unauthorized')
  await ts.req({ method: 'GET', url: '/nowhere' })
  const res = await ts.req({ method: 'GET', url: '/metrics' })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  assert.match(res.body, /^# HELP edgeplane_http_requests_total /m)
  assert.match(res.body, /^# TYPE edgeplane_http_requests_total counter$/m)
  assert.match(res.body, /^edgeplane_http_requests_total\{method="GET",code="401"\} 1$/m)
  assert.match(res.body, /^edgeplane_http_requests_total\{method="GET",code="404"\} 1$/m)
  assert.match(res.body, /^edgeplane_store_revision \d+$/m)
})

test('a revoked token stops working; a new admin token works', async (t) => {
  const ts = await startTestServer(t)
  const created = await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin', description: 'ci' } })
  assert.equal(created.statusCode, 201)
  const second = json(created).token as string
  assert.match(second, /^epa\./)
  assert.equal((await ts.req({ method: 'GET', url: APPS, token: second })).statusCode, 200)
  const id = second.split('.')[1]
  const del = await ts.req({ method: 'DELETE', url: `/v1/tokens/${id}` })
  assert.equal(del.statusCode, 200)
  assert.deepEqual(json(del), { deleted: id })
  assertStatus(await ts.req({ method: 'GET', url: APPS, token: second }), 401, 'Unauthorized')
  assertStatus(await ts.req({ method: 'DELETE', url: `/v1/tokens/${id}` }), 404, 'NotFound')
})

test('a token with anything appended is refused; a join token may carry only a CA fingerprint', async (t) => {
  const ts = await startTestServer(t)
  const fp = 'ab'.repeat(32)
  for (const token of [`${ts.admin}.x`, `${ts.admin}.${fp}`, `${ts.admin}..`]) {
    const res = await ts.req({ method: 'GET', url: APPS, token })
    assertStatus(res, 401, 'Unauthorized')
    assert.match(json(res).message, /malformed/)
  }
  const { token } = await joinToken(ts)
  assertStatus(await join(ts, `${token}.not-a-fingerprint`, 'n1'), 401, 'Unauthorized')
  // The same token with a well-formed fingerprint joins (the agent pins the CA with it; the server ignores it).
  assert.equal((await join(ts, `${token}.${fp}`, 'n2')).statusCode, 200)
})

test('access rules follow the route the request reaches, however its path is spelled', async (t) => {
  const ts = await startTestServer(t)
  for (const url of ['/v1/credentials/rotate', '/v1/credentials/rotat%65', '/v1/credentials/rotate?x=1']) {
    assertStatus(await ts.req({ method: 'POST', url, payload: {} }), 403, 'Forbidden')
  }
  const { token } = await joinToken(ts)
  assertStatus(await ts.req({ method: 'GET', url: '/v1/%74okens', token }), 403, 'Forbidden')
  assert.equal((await ts.req({ method: 'GET', url: '/healthz', token: null })).statusCode, 200)
  assertStatus(await ts.req({ method: 'GET', url: '/no/such/route', token: null }), 401, 'Unauthorized')
})
