// Watch and list parameters kubectl and informers rely on: the headers of a watch arrive before any
// event, timeoutSeconds ends the stream, allowWatchBookmarks adds BOOKMARK events, and
// limit/continue page one consistent snapshot (410 once its revision is compacted).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fetch as undiciFetch } from 'undici'
import { APPS, LineReader, appManifest, assertStatus, json, settle, startTestServer, type TestServer } from './helpers.js'

function open(ts: TestServer, query: string, ac = new AbortController()) {
  const timer = setTimeout(() => ac.abort(), 20_000)
  ac.signal.addEventListener('abort', () => clearTimeout(timer))
  return undiciFetch(`${ts.srv.url}${APPS}?${query}`, { headers: { authorization: `Bearer ${ts.admin}` }, signal: ac.signal })
}

test('a watch with nothing to send yet answers its headers at once; timeoutSeconds ends it', async (t) => {
  const ts = await startTestServer(t)
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('a') })
  const rev = await settle(ts.srv)
  // Before the fix the headers waited for the first event, and this fetch never resolved.
  const res = await open(ts, `watch=true&resourceVersion=${rev}&timeoutSeconds=1`)
  assert.equal(res.status, 200)
  assert.match(String(res.headers.get('content-type')), /^application\/json/)
  const reader = new LineReader(res.body!)
  assert.equal(await reader.next(10_000), undefined, 'nothing happened, and the stream ended by itself')
  assert.equal(reader.ended, true)
})

test('allowWatchBookmarks: a BOOKMARK carries the revision seen so far; sendInitialEvents ends the initial list with one', async (t) => {
  const ts = await startTestServer(t, { watchBookmarkIntervalMs: 20 })
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('a') })
  const rev = await settle(ts.srv)
  const ac = new AbortController()
  t.after(() => ac.abort())
  const res = await open(ts, 'watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', ac)
  const reader = new LineReader(res.body!)
  const first = await reader.readUntil((e: any) => e.type === 'BOOKMARK')
  assert.deepEqual(first.map((e: any) => `${e.type} ${e.object.metadata.name ?? ''}`), ['ADDED a', 'BOOKMARK '])
  const end = first[1].object
  assert.equal(end.kind, 'App')
  assert.equal(end.metadata.annotations['k8s.io/initial-events-end'], 'true')
  assert.ok(Number(end.metadata.resourceVersion) >= rev)
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('b') })
  const later = await reader.readUntil((e: any) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) > Number(end.metadata.resourceVersion))
  const b = later.find((e: any) => e.type === 'ADDED' && e.object.metadata.name === 'b')
  assert.ok(b, 'the create came before the bookmark that passed it')
  assert.ok(Number(later.at(-1).object.metadata.resourceVersion) >= Number(b.object.metadata.resourceVersion))
  ac.abort()
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?watch=true&sendInitialEvents=true` }), 400, 'BadRequest')
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?watch=true&timeoutSeconds=soon` }), 400, 'BadRequest')
})

test('limit/continue page one snapshot: writes in between do not show, a compacted token is 410', async (t) => {
  const ts = await startTestServer(t)
  for (const n of ['a', 'b', 'c', 'd', 'e']) await ts.req({ method: 'POST', url: APPS, payload: appManifest(n) })
  await settle(ts.srv)
  const p1 = json(await ts.req({ method: 'GET', url: `${APPS}?limit=2` }))
  assert.deepEqual(p1.items.map((o: any) => o.metadata.name), ['a', 'b'])
  assert.equal(p1.metadata.remainingItemCount, 3)
  assert.ok(p1.metadata.continue)
  // Changes after the first page: not seen by the pages that follow it.
  await ts.req({ method: 'DELETE', url: `${APPS}/d` })
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('f') })
  const p2 = json(await ts.req({ method: 'GET', url: `${APPS}?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}` }))
  assert.deepEqual(p2.items.map((o: any) => o.metadata.name), ['c', 'd'])
  assert.equal(p2.metadata.resourceVersion, p1.metadata.resourceVersion, 'every page is at the first page\'s revision')
  const p3 = json(await ts.req({ method: 'GET', url: `${APPS}?limit=2&continue=${encodeURIComponent(p2.metadata.continue)}` }))
  assert.deepEqual(p3.items.map((o: any) => o.metadata.name), ['e'])
  assert.equal(p3.metadata.continue, undefined)
  // With a selector the token is bound to it.
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?labelSelector=x%3Dy&continue=${encodeURIComponent(p1.metadata.continue)}` }), 400, 'BadRequest')
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?continue=garbage` }), 400, 'BadRequest')
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?limit=-1` }), 400, 'BadRequest')
  // Compacted past the snapshot's revision: 410 Expired, and a fresh list works.
  await ts.srv.store.compact(await ts.srv.store.revision())
  const gone = assertStatus(await ts.req({ method: 'GET', url: `${APPS}?limit=2&continue=${encodeURIComponent(p1.metadata.continue)}` }), 410, 'Compacted')
  assert.equal(gone.reason, 'Expired')
  assert.deepEqual(json(await ts.req({ method: 'GET', url: `${APPS}?limit=10` })).items.map((o: any) => o.metadata.name), ['a', 'b', 'c', 'e', 'f'])
})
