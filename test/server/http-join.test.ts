// The join exchange: a join token (limited uses, expiry) buys one node credential; nothing about
// a credential but its id ever comes back from the token list.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, assertStatus, json, startTestServer, type TestServer } from './helpers.js'

async function createJoin(ts: TestServer, body: Record<string, unknown>): Promise<string> {
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: body })
  assert.equal(res.statusCode, 201, res.body)
  return json(res).token
}

async function tokens(ts: TestServer): Promise<any[]> {
  const res = await ts.req({ method: 'GET', url: '/v1/tokens' })
  assert.equal(res.statusCode, 200)
  return json(res).items
}

const join = (ts: TestServer, token: string, body: unknown = { node: 'n1', site: 'par-1' }) =>
  ts.req({ method: 'POST', url: '/v1/join', token, payload: body as any })

test('a join token with maxUses 1 joins once; the second use is 403 TokenExhausted and makes no credential', async (t) => {
  const ts = await startTestServer(t)
  const token = await createJoin(ts, { maxUses: 1, description: 'one node' })
  const first = await join(ts, token)
  assert.equal(first.statusCode, 200, first.body)
  const rev = await ts.srv.store.revision()

  const second = await join(ts, token, { node: 'n2', site: 'par-1' })
  const body = assertStatus(second, 403, 'TokenExhausted')
  assert.equal(body.reason, 'Forbidden')
  assert.match(body.message, /used 1 of 1/)
  assert.equal(await ts.srv.store.revision(), rev, 'nothing was written')

  const items = await tokens(ts)
  const jt = items.find((i) => i.type === 'join')
  assert.equal(jt.id, token.split('.')[1])
  assert.equal(jt.uses, 1)
  assert.equal(jt.maxUses, 1)
  assert.equal(jt.description, 'one node')
  const nodes = items.filter((i) => i.type === 'node')
  assert.equal(nodes.length, 1)
  assert.equal(nodes[0].node, 'n1')
  assert.equal(nodes[0].site, 'par-1')
})

test('uses are counted up to maxUses; a node re-joins only with its current credential, which it then replaces', async (t) => {
  const ts = await startTestServer(t)
  const token = await createJoin(ts, { maxUses: 3 })
  const a = json(await join(ts, token)).credential
  const b = json(await ts.req({ method: 'POST', url: '/v1/join', token, headers: { 'x-edgeplane-node-credential': a }, payload: { node: 'n1', site: 'par-1' } })).credential
  assert.notEqual(a, b)
  // The first credential of n1 was replaced by the second.
  assertStatus(await ts.req({ method: 'GET', url: '/v1/link', token: a }), 401, 'Unauthorized')
  assert.equal((await tokens(ts)).filter((i) => i.type === 'node').length, 1)
  assert.equal((await join(ts, token, { node: 'n2', site: 'par-1' })).statusCode, 200)
  assertStatus(await join(ts, token, { node: 'n3', site: 'par-1' }), 403, 'TokenExhausted')
  assert.equal((await tokens(ts)).find((i) => i.type === 'join').uses, 3)
})

test('a bad node or site name in the join body → 422 naming the field; the token is not spent', async (t) => {
  const ts = await startTestServer(t)
  const token = await createJoin(ts, { maxUses: 1 })
  const cases: [unknown, string][] = [
    [{ node: 'Bad_Name', site: 'par-1' }, 'node'],
    [{ node: '', site: 'par-1' }, 'node'],
    [{ node: 42, site: 'par-1' }, 'node'],
    [{ site: 'par-1' }, 'node'],
    [{ node: 'n'.repeat(254), site: 'par-1' }, 'node'],
    [{ node: 'n1', site: 'PAR 1' }, 'site'],
    [{ node: 'n1' }, 'site'],
  ]
  for (const [payload, field] of cases) {
    const body = assertStatus(await join(ts, token, payload), 422, 'Invalid')
    assert.equal(body.details.causes[0].field, field, JSON.stringify(payload))
    assert.ok(body.message.startsWith(`${field}: `), body.message)
  }
  assertStatus(await ts.req({ method: 'POST', url: '/v1/join', token, headers: { 'content-type': 'application/json' }, payload: '{"node":' }), 400, 'BadRequest')
  assert.equal((await tokens(ts)).find((i) => i.type === 'join').uses, 0)
  assert.equal((await join(ts, token)).statusCode, 200)
})

test('GET /v1/tokens never shows a hash or a secret', async (t) => {
  const ts = await startTestServer(t)
  const joinTok = await createJoin(ts, { maxUses: 2 })
  const credential = json(await join(ts, joinTok)).credential as string
  const extraAdmin = json(await ts.req({ method: 'POST', url: '/v1/tokens', payload: { type: 'admin' } })).token as string
  const res = await ts.req({ method: 'GET', url: '/v1/tokens' })
  const items = json(res).items
  assert.deepEqual(items.map((i: any) => i.type).sort(), ['admin', 'admin', 'join', 'node'])
  assert.ok(!/hash/i.test(res.body), res.body)
  for (const secret of [ts.admin, joinTok, credential, extraAdmin].map((tok) => tok.split('.')[2])) {
    assert.ok(!res.body.includes(secret), 'a secret leaked into the token list')
  }
  for (const i of items) assert.match(i.id, /^[0-9a-f]{12}$/)
  // Nor can the Token kind be reached through the resource API.
  assertStatus(await ts.req({ method: 'GET', url: '/apis/edgeplane.io/v1/tokens' }), 404, 'UnknownKind')
})

test('POST /v1/tokens checks its body', async (t) => {
  const ts = await startTestServer(t)
  const cases: [unknown, string][] = [
    [{ type: 'root' }, 'type'],
    [{ maxUses: 0 }, 'maxUses'],
    [{ maxUses: 1.5 }, 'maxUses'],
    [{ maxUses: '3' }, 'maxUses'],
    [{ ttlSeconds: -1 }, 'ttlSeconds'],
  ]
  for (const [payload, field] of cases) {
    const body = assertStatus(await ts.req({ method: 'POST', url: '/v1/tokens', payload: payload as any }), 422, 'Invalid')
    assert.equal(body.details.causes[0].field, field)
  }
  assert.equal((await tokens(ts)).length, 1, 'only the admin token exists')
  // ttlSeconds 0: a join token that does not expire.
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: { ttlSeconds: 0 } })
  assert.equal(res.statusCode, 201)
  assert.equal(json(res).expiresAt, undefined)
  // An empty body makes a join token with the defaults (24 hours).
  const def = json(await ts.req({ method: 'POST', url: '/v1/tokens' }))
  assert.equal(def.type, 'join')
  assert.ok(Date.parse(def.expiresAt) > Date.now() + 23 * 3600_000)
  assert.equal((await ts.req({ method: 'GET', url: APPS, token: def.token })).statusCode, 403)
})

test('many nodes joining at once with one token: every use up to maxUses succeeds, none is lost to a write conflict', async (t) => {
  const ts = await startTestServer(t)
  const token = await createJoin(ts, { maxUses: 25 })
  const results = await Promise.all(Array.from({ length: 30 }, (_, k) => join(ts, token, { node: `n${k}`, site: 'par-1' })))
  const codes = results.map((r) => r.statusCode)
  assert.equal(codes.filter((c) => c === 200).length, 25, `${codes}`)
  for (const r of results.filter((x) => x.statusCode !== 200)) assertStatus(r, 403, 'TokenExhausted')
  assert.equal((await tokens(ts)).find((i) => i.type === 'join').uses, 25)
  assert.equal((await tokens(ts)).filter((i) => i.type === 'node').length, 25)
})
