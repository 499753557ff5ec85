// Issue 22, high: a join token alone must never take over an existing node (it used to revoke the
// real agent's credential before any check). Only the node itself (its current credential) or an
// admin re-provisioning it explicitly may replace its credentials.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { API_VERSION } from '../../src/api/meta.js'
import { assertStatus, json, startTestServer, type TestServer } from './helpers.js'

async function joinToken(ts: TestServer, body: Record<string, unknown> = { maxUses: 10 }): Promise<string> {
  const res = await ts.req({ method: 'POST', url: '/v1/tokens', payload: body })
  assert.equal(res.statusCode, 201, res.body)
  return json(res).token
}
const join = (ts: TestServer, token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  ts.req({ method: 'POST', url: '/v1/join', token, headers, payload: body })
/** A credential still works: it may open the link route's auth (a 4xx other than 401 means authenticated). */
async function credentialWorks(ts: TestServer, cred: string): Promise<boolean> {
  const res = await ts.req({ method: 'POST', url: '/v1/credentials/rotate', token: cred, payload: {} })
  return res.statusCode === 200
}

test('a join token cannot replace the credential of a node that joined: 409 AlreadyExists, nothing spent or revoked', async (t) => {
  const ts = await startTestServer(t)
  const tok = await joinToken(ts)
  const real = json(await join(ts, tok, { node: 'n3', site: 'par-1' })).credential
  const usesBefore = json(await ts.req({ method: 'GET', url: '/v1/tokens' })).items.find((i: any) => i.type === 'join').uses
  const rev = await ts.srv.store.revision()

  for (const site of ['evil', 'par-1']) {
    const body = assertStatus(await join(ts, tok, { node: 'n3', site }), 409, 'AlreadyExists')
    assert.match(body.message, /already joined.*x-edgeplane-node-credential.*reprovision/s)
  }
  // A credential of another node, or garbage, is no proof.
  const other = json(await join(ts, tok, { node: 'n4', site: 'par-1' })).credential
  const rev2 = await ts.srv.store.revision()
  assertStatus(await join(ts, tok, { node: 'n3', site: 'par-1' }, { 'x-edgeplane-node-credential': other }), 403, 'Forbidden')
  assertStatus(await join(ts, tok, { node: 'n3', site: 'par-1' }, { 'x-edgeplane-node-credential': 'epn.000000000000.x' }), 403, 'Forbidden')
  // Its own credential but another site is refused too (a node cannot move itself).
  assertStatus(await join(ts, tok, { node: 'n3', site: 'evil' }, { 'x-edgeplane-node-credential': real }), 403, 'Forbidden')
  assert.equal(await ts.srv.store.revision(), rev2, 'refusals write nothing')
  assert.ok(rev2 > rev)
  const uses = json(await ts.req({ method: 'GET', url: '/v1/tokens' })).items.find((i: any) => i.type === 'join').uses
  assert.equal(uses, usesBefore + 1, 'only the n4 join spent a use')
  assert.equal(await credentialWorks(ts, real), true, 'the real agent keeps its credential')
})

test('a node known only by its Node object (credential expired or revoked) is not up for grabs either', async (t) => {
  const ts = await startTestServer(t)
  await ts.srv.store.create({ apiVersion: API_VERSION, kind: 'Node', metadata: { name: 'n7' }, spec: { site: 'par-1', address: '127.0.0.1' } } as any)
  const tok = await joinToken(ts)
  assertStatus(await join(ts, tok, { node: 'n7', site: 'par-1' }), 409, 'AlreadyExists')
})

test('an admin re-provisions a node explicitly; the old credential stops working; a join token cannot ask for it', async (t) => {
  const ts = await startTestServer(t)
  const tok = await joinToken(ts)
  const old = json(await join(ts, tok, { node: 'n3', site: 'par-1' })).credential
  // A join token saying "reprovision" is still a join token.
  assertStatus(await join(ts, tok, { node: 'n3', site: 'par-1', reprovision: true }), 403, 'Forbidden')
  // The admin must say so.
  assert.match(assertStatus(await join(ts, ts.admin, { node: 'n3', site: 'par-1' }), 403, 'Forbidden').message, /reprovision/)
  // And cannot move a node to another site this way.
  assertStatus(await join(ts, ts.admin, { node: 'n3', site: 'evil', reprovision: true }), 409, 'Conflict')
  assert.equal(await credentialWorks(ts, old), true)
  const res = await join(ts, ts.admin, { node: 'n3', site: 'par-1', reprovision: true })
  assert.equal(res.statusCode, 200, res.body)
  const fresh = json(res).credential
  assert.equal(await credentialWorks(ts, old), false)
  assert.equal(await credentialWorks(ts, fresh), true)
})

test('two joins racing for one new node: one wins, the other is refused', async (t) => {
  const ts = await startTestServer(t)
  const tok = await joinToken(ts)
  const [a, b] = await Promise.all([join(ts, tok, { node: 'n9', site: 'par-1' }), join(ts, tok, { node: 'n9', site: 'par-1' })])
  assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409])
})
