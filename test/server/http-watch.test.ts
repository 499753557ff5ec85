// Watch: newline-delimited {type, object} lines, from a resourceVersion or starting with the
// current objects as ADDED; 410 Expired behind the compaction point. Through inject() with a
// streamed payload, plus one real socket to check that a client going away or the server
// closing ends the stream.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, fetch as undiciFetch } from 'undici'
import { APPS, V1, LineReader, appManifest, assertStatus, json, settle, startTestServer, type TestServer } from './helpers.js'

async function watch(ts: TestServer, url: string): Promise<LineReader> {
  const res = await ts.srv.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ts.admin}` }, payloadAsStream: true })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  return new LineReader(res.stream())
}

async function post(ts: TestServer, body: any, url = APPS): Promise<any> {
  const res = await ts.req({ method: 'POST', url, payload: body })
  assert.equal(res.statusCode, 201, res.body)
  return json(res)
}

const is = (type: string, name: string) => (e: any) => e.type === type && e.object.metadata.name === name
const summary = (events: any[]) => events.map((e) => `${e.type} ${e.object.metadata.name}`)

test('watch from resourceVersion N streams the changes after N as {type, object} lines', async (t) => {
  const ts = await startTestServer(t)
  await post(ts, appManifest('a'))
  const n = await settle(ts.srv)
  const w = await watch(ts, `${APPS}?watch=true&resourceVersion=${n}`)

  await post(ts, appManifest('b'))
  const a = json(await ts.req({ method: 'GET', url: `${APPS}/a` }))
  assert.equal((await ts.req({ method: 'PUT', url: `${APPS}/a`, payload: { ...a, spec: { ...a.spec, replicas: 0, template: { ...a.spec.template, command: 'deno' } } } })).statusCode, 200)
  assert.equal((await ts.req({ method: 'DELETE', url: `${APPS}/b` })).statusCode, 200)

  const events = await w.readUntil(is('DELETED', 'b'))
  for (const e of events) {
    assert.deepEqual(Object.keys(e).sort(), ['object', 'type'])
    assert.equal(e.object.kind, 'App')
    assert.ok(Number(e.object.metadata.resourceVersion) > n, `event at ${e.object.metadata.resourceVersion} is not after ${n}`)
  }
  // The controller writes status (MODIFIED, same generation) in between; keep the spec changes.
  const generation = new Map<string, number>()
  const mine = events.filter((e) => {
    const prev = generation.get(e.object.metadata.name)
    generation.set(e.object.metadata.name, e.object.metadata.generation)
    return e.type !== 'MODIFIED' || prev !== e.object.metadata.generation
  })
  assert.deepEqual(summary(mine), ['ADDED b', 'MODIFIED a', 'DELETED b'])
  assert.equal(mine[1].object.spec.template.command, 'deno')
  assert.equal(mine[1].object.metadata.generation, 2)
  assert.ok(!events.some(is('ADDED', 'a')), 'nothing from before N')
  // Revisions only go up.
  const revs = events.map((e) => Number(e.object.metadata.resourceVersion))
  assert.deepEqual(revs, [...revs].sort((x, y) => x - y))
})

test('watch from an older resourceVersion replays history first', async (t) => {
  const ts = await startTestServer(t)
  const before = await ts.srv.store.revision()
  await post(ts, appManifest('a'))
  await ts.req({ method: 'DELETE', url: `${APPS}/a` })
  await settle(ts.srv)
  const w = await watch(ts, `${APPS}?watch=true&resourceVersion=${before}`)
  const events = await w.readUntil(is('DELETED', 'a'))
  assert.deepEqual(summary(events.filter((e) => e.type !== 'MODIFIED')), ['ADDED a', 'DELETED a'])
})

test('watch without a resourceVersion first sends the existing objects as ADDED', async (t) => {
  const ts = await startTestServer(t)
  await post(ts, appManifest('a'))
  await post(ts, appManifest('b'))
  const rev = await settle(ts.srv)
  for (const query of ['watch=true', 'watch=1&resourceVersion=0', 'watch']) {
    const w = await watch(ts, `${APPS}?${query}`)
    const first = [await w.next(), await w.next()]
    assert.deepEqual(first.map((e) => e.type), ['ADDED', 'ADDED'], query)
    assert.deepEqual(first.map((e) => e.object.metadata.name).sort(), ['a', 'b'])
    // The current state, with the controller's status.
    assert.ok(first.every((e) => Number(e.object.metadata.resourceVersion) <= rev))
  }
  const w = await watch(ts, `${APPS}?watch=true`)
  const c = await post(ts, appManifest('c'))
  const events = await w.readUntil(is('ADDED', 'c'))
  assert.equal(events.filter((e) => e.type === 'ADDED').length, 3)
  assert.equal(events.at(-1).object.metadata.uid, c.metadata.uid)
})

test('watch honours the namespace, labelSelector and fieldSelector', async (t) => {
  const ts = await startTestServer(t)
  const edge = await watch(ts, `${APPS}?watch=true&labelSelector=tier%3Dedge`)
  const named = await watch(ts, `${APPS}?watch=true&fieldSelector=metadata.name%3Dz`)
  const all = await watch(ts, `${V1}/apps?watch=true`)
  await post(ts, appManifest('x', { labels: { tier: 'central' } }))
  await post(ts, appManifest('y', { namespace: 'prod', labels: { tier: 'edge' } }), `${V1}/namespaces/prod/apps`)
  await post(ts, appManifest('z', { labels: { tier: 'edge' } }))
  const e1 = await edge.readUntil(is('ADDED', 'z'))
  assert.deepEqual(summary(e1), ['ADDED z'], 'not the central app, not the other namespace')
  const e2 = await named.readUntil(is('ADDED', 'z'))
  assert.deepEqual(summary(e2), ['ADDED z'])
  const e3 = await all.readUntil(is('ADDED', 'z'))
  assert.deepEqual(summary(e3.filter((e) => e.type === 'ADDED')), ['ADDED x', 'ADDED y', 'ADDED z'])
})

test('with a selector, an object that stops matching is DELETED and one that starts matching is ADDED', async (t) => {
  const ts = await startTestServer(t)
  await post(ts, appManifest('p', { labels: { tier: 'edge' } }))
  await settle(ts.srv)
  const edge = await watch(ts, `${APPS}?watch=true&labelSelector=tier%3Dedge`)
  assert.deepEqual(summary([await edge.next()]), ['ADDED p'])
  const relabel = async (name: string, tier: string) => {
    const res = await ts.req({ method: 'PATCH', url: `${APPS}/${name}`, payload: { metadata: { labels: { tier } } }, headers: { 'content-type': 'application/merge-patch+json' } })
    assert.equal(res.statusCode, 200, res.body)
  }
  await post(ts, appManifest('q', { labels: { tier: 'central' } }))
  await relabel('p', 'central')
  await relabel('q', 'edge')
  await ts.req({ method: 'DELETE', url: `${APPS}/q` })
  const events = await edge.readUntil(is('DELETED', 'q'))
  // Status writes on matching objects may come in between; the membership changes are what count.
  assert.deepEqual(summary(events.filter((e) => e.type !== 'MODIFIED')), ['DELETED p', 'ADDED q', 'DELETED q'])
  assert.equal(events.find(is('DELETED', 'p')).object.metadata.labels.tier, 'central')
})

test('a resourceVersion behind the compaction point → 410 Expired; at the point it works', async (t) => {
  const ts = await startTestServer(t)
  await post(ts, appManifest('a'))
  await post(ts, appManifest('b'))
  const rev = await settle(ts.srv)
  await ts.srv.store.compact(rev)
  const body = assertStatus(await ts.req({ method: 'GET', url: `${APPS}?watch=true&resourceVersion=${rev - 1}` }), 410, 'Compacted')
  assert.equal(body.reason, 'Expired')
  assert.equal(body.details.retryable, true)
  assert.match(body.message, new RegExp(`revision ${rev - 1} has been compacted`))
  assertStatus(await ts.req({ method: 'GET', url: `${APPS}?watch=true&resourceVersion=1` }), 410, 'Compacted')
  // The objects themselves are still there, and a relist + watch from its revision works.
  const list = json(await ts.req({ method: 'GET', url: APPS }))
  assert.equal(list.items.length, 2)
  const w = await watch(ts, `${APPS}?watch=true&resourceVersion=${list.metadata.resourceVersion}`)
  await post(ts, appManifest('c'))
  assert.deepEqual(summary(await w.readUntil(is('ADDED', 'c'))).filter((s) => s.startsWith('ADDED')), ['ADDED c'])
})

test('over a real TLS socket: a client going away does not disturb the server; closing the server ends open watches', async (t) => {
  const ts = await startTestServer(t, { tls: true })
  assert.match(ts.srv.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const dispatcher = new Agent({ connect: { ca: ts.srv.ca } })
  t.after(() => dispatcher.close())
  const fetch = (url: string, init: RequestInit = {}) => undiciFetch(url, { ...init, dispatcher } as never) as unknown as Promise<Response>
  await post(ts, appManifest('a'))
  const headers = { authorization: `Bearer ${ts.admin}` }

  const ac = new AbortController()
  const res = await fetch(`${ts.srv.url}${APPS}?watch=true`, { headers, signal: ac.signal })
  assert.equal(res.status, 200)
  const r1 = new LineReader(res.body as unknown as AsyncIterable<Uint8Array>)
  assert.ok(is('ADDED', 'a')(await r1.next()))
  ac.abort()
  // The server is unaffected and still streams to others.
  const res2 = await fetch(`${ts.srv.url}${APPS}?watch=true`, { headers })
  const r2 = new LineReader(res2.body as unknown as AsyncIterable<Uint8Array>)
  assert.ok(is('ADDED', 'a')(await r2.next()))
  await post(ts, appManifest('b'))
  await r2.readUntil(is('ADDED', 'b'))

  const health = await fetch(`${ts.srv.url}/healthz`)
  assert.equal(health.status, 200)
  await health.arrayBuffer()
  await ts.srv.close()
  // The open watch ends (no hang) when the server closes.
  for (;;) {
    const v = await r2.next()
    if (v === undefined) break
  }
  assert.equal(r2.ended, true)
})

test('a field selector filters the initial objects of a watch too, not only later events', async (t) => {
  const ts = await startTestServer(t)
  await post(ts, appManifest('a'))
  await post(ts, appManifest('b'))
  await settle(ts.srv)
  const w = await watch(ts, `${APPS}?watch=true&fieldSelector=${encodeURIComponent('metadata.name=b')}`)
  await post(ts, appManifest('c'))
  const b = json(await ts.req({ method: 'GET', url: `${APPS}/b` }))
  assert.equal((await ts.req({ method: 'PUT', url: `${APPS}/b`, payload: { ...b, spec: { ...b.spec, replicas: 0 } } })).statusCode, 200)
  const events = await w.readUntil((e: any) => e.type === 'MODIFIED' && e.object.spec.replicas === 0)
  assert.deepEqual([...new Set(events.map((e: any) => e.object.metadata.name))], ['b'], 'only b, from the start')
  assert.equal(events[0].type, 'ADDED')
})

test('a burst of writes reaches a watcher complete and in revision order (events are written a turn at a time)', async (t) => {
  const ts = await startTestServer(t)
  const n = await settle(ts.srv)
  const w = await watch(ts, `${APPS}?watch=true&resourceVersion=${n}`)
  const names = Array.from({ length: 100 }, (_, i) => `burst-${String(i).padStart(3, '0')}`)
  await Promise.all(names.map((name) => post(ts, appManifest(name))))
  let seen = 0
  const all = await w.readUntil((e: any) => e.type === 'ADDED' && e.object.metadata.name.startsWith('burst-') && ++seen === 100)
  const events = all.filter((e: any) => e.type === 'ADDED' && e.object.metadata.name.startsWith('burst-'))
  assert.deepEqual(new Set(events.map((e: any) => e.object.metadata.name)), new Set(names))
  const revisions = all.map((e: any) => Number(e.object.metadata.resourceVersion))
  assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b), 'in revision order')
  assert.equal(new Set(events.map((e: any) => e.object.metadata.resourceVersion)).size, 100)
})
