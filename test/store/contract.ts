// The one Store contract every driver must pass (in the style of hono's shared router cases:
// src/router/common.case.test.ts). A driver joins with a tiny file:
//
//   runStoreContract('postgres', () => openStore({ driver: 'postgres', url }))
//
// `open` must return a fresh, empty store each time; the suite closes every store it opens.
// Nothing here knows which driver runs, and nothing sleeps: events are awaited as they arrive.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, ERRORS } from '../../src/api/errors.js'
import { parseSelector } from '../../src/api/labels.js'
import type { Resource } from '../../src/api/meta.js'
import type { Store, WatchEvent } from '../../src/store/types.js'
import { app, assertStrictlyIncreasingByOne, expectApiError, Recorder, revisionOf, rv, site, type App } from './helpers.js'

export function runStoreContract(name: string, open: () => Promise<Store> | Store): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await open()
    try {
      await fn(store)
    } finally {
      await store.close()
    }
  }
  const it = (title: string, fn: (store: Store) => Promise<void>) => test(title, () => withStore(fn))

  describe(`Store contract: ${name}`, () => {
    describe('create and get', () => {
      it('a fresh store is empty at revision 0', async (store) => {
        assert.equal(await store.revision(), 0)
        assert.equal(await store.compactedRevision(), 0)
        assert.deepEqual((await store.list('App')).items, [])
      })

      it('create sets uid, generation 1, creationTimestamp and resourceVersion = the new revision', async (store) => {
        const before = Date.now()
        const a = await store.create(app('web', 'default', { labels: { tier: 'edge' } }))
        const after = Date.now()
        assert.equal(await store.revision(), 1)
        assert.equal(a.metadata.resourceVersion, '1')
        assert.equal(a.metadata.generation, 1)
        assert.match(a.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        const ts = a.metadata.creationTimestamp ?? ''
        assert.equal(new Date(ts).toISOString(), ts, 'creationTimestamp is an ISO-8601 UTC string')
        assert.ok(Date.parse(ts) >= before - 1000 && Date.parse(ts) <= after + 1000, `creationTimestamp ${ts} is not now`)
        assert.deepEqual(a.metadata.labels, { tier: 'edge' })
        assert.deepEqual(a.spec, app('web').spec)

        const b = await store.create(app('api'))
        assert.equal(b.metadata.resourceVersion, '2')
        assert.notEqual(b.metadata.uid, a.metadata.uid, 'uids are unique')
        assert.deepEqual(await store.get('App', 'default', 'web'), a, 'get returns exactly what create returned')
      })

      it('create ignores a client-supplied uid, generation and resourceVersion', async (store) => {
        const obj = app('web')
        obj.metadata = { ...obj.metadata, uid: 'client-uid', generation: 7, resourceVersion: '99' }
        const a = await store.create(obj)
        assert.notEqual(a.metadata.uid, 'client-uid')
        assert.equal(a.metadata.generation, 1)
        assert.equal(a.metadata.resourceVersion, '1')
      })

      it('create twice fails with AlreadyExists and writes nothing', async (store) => {
        const first = await store.create(app('web'))
        const err = await expectApiError(store.create(app('web', 'default', { spec: { replicas: 9 } })), 'AlreadyExists')
        assert.equal(err.status, 409)
        assert.equal(await store.revision(), 1)
        assert.deepEqual(await store.get('App', 'default', 'web'), first)
        // Same name in another namespace or another kind is a different object.
        await store.create(app('web', 'other'))
        await store.create({ ...app('web'), kind: 'Revision' })
        assert.equal(await store.revision(), 3)
      })

      it('get returns undefined when the object is missing', async (store) => {
        assert.equal(await store.get('App', 'default', 'nope'), undefined)
        await store.create(app('web', 'ns1'))
        assert.equal(await store.get('App', 'ns2', 'web'), undefined, 'wrong namespace')
        assert.equal(await store.get('Site', 'ns1', 'web'), undefined, 'wrong kind')
        assert.ok(await store.get('App', 'ns1', 'web'))
      })

      it('cluster-scoped objects are addressed with an undefined namespace', async (store) => {
        const s = await store.create(site('fra-1'))
        assert.equal(s.metadata.namespace, undefined)
        assert.deepEqual(await store.get('Site', undefined, 'fra-1'), s)
        assert.deepEqual((await store.list('Site')).items, [s])
        const u = await store.update({ ...s, spec: { region: 'eu-central', tier: 'edge' } })
        assert.equal(u.metadata.generation, 2)
        await store.delete('Site', undefined, 'fra-1')
        assert.equal(await store.get('Site', undefined, 'fra-1'), undefined)
      })

      it('returned objects are copies: mutating them does not change the store', async (store) => {
        const a = await store.create(app('web', 'default', { labels: { tier: 'edge' } }))
        a.spec!.replicas = 42
        a.metadata.labels!.tier = 'hacked'
        const got = await store.get<App>('App', 'default', 'web')
        assert.equal(got!.spec!.replicas, 1)
        got!.spec!.template.command = 'rm'
        const listed = (await store.list<App>('App')).items[0]
        assert.equal(listed.spec!.template.command, 'node')
        assert.equal(listed.metadata.labels!.tier, 'edge')
      })
    })

    describe('list', () => {
      async function seed(store: Store): Promise<void> {
        await store.create(app('b', 'a-b', { labels: { env: 'prod', region: 'eu' } }))
        await store.create(app('z', 'a', { labels: { env: 'prod', region: 'us' } }))
        await store.create(app('a', 'b', { labels: { env: 'dev', region: 'eu', canary: 'true' } }))
        await store.create(app('m', 'a', { labels: { env: 'dev' } }))
        await store.create(app('a', 'a'))
        await store.create(site('fra-1', { region: 'eu' }))
        await store.create(site('ams-1', { region: 'eu' }))
      }
      const names = (items: Resource[]) => items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)

      it('lists one kind, sorted by namespace then name, at the store revision', async (store) => {
        await seed(store)
        const all = await store.list('App')
        // Sorted by namespace, then name: "a" sorts before "a-b" (not by the joined "ns/name" string).
        assert.deepEqual(names(all.items), ['a/a', 'a/m', 'a/z', 'a-b/b', 'b/a'])
        assert.ok(all.items.every((o) => o.kind === 'App'))
        assert.equal(all.revision, await store.revision())
        assert.equal(all.revision, 7)
        assert.deepEqual(names((await store.list('Site')).items), ['/ams-1', '/fra-1'])
        assert.deepEqual((await store.list('Unknown')).items, [])
      })

      it('lists as stored JSON text: the same objects, order and revision as list', async (store) => {
        await seed(store)
        for (const namespace of [undefined, 'a', 'missing']) {
          const json = await store.listJson('App', { namespace })
          const parsed = await store.list('App', { namespace })
          assert.deepEqual(json.items.map((v) => JSON.parse(v)), parsed.items)
          assert.equal(json.revision, parsed.revision)
        }
        assert.deepEqual((await store.listJson('Unknown')).items, [])
      })

      it('lists one namespace', async (store) => {
        await seed(store)
        assert.deepEqual(names((await store.list('App', { namespace: 'a' })).items), ['a/a', 'a/m', 'a/z'])
        assert.deepEqual(names((await store.list('App', { namespace: 'a-b' })).items), ['a-b/b'])
        const none = await store.list('App', { namespace: 'missing' })
        assert.deepEqual(none.items, [])
        assert.equal(none.revision, 7)
      })

      it('filters by label selector', async (store) => {
        await seed(store)
        const sel = async (s: string, namespace?: string) => names((await store.list('App', { labelSelector: parseSelector(s), namespace })).items)
        assert.deepEqual(await sel('env=prod'), ['a/z', 'a-b/b'])
        assert.deepEqual(await sel('env!=prod'), ['a/a', 'a/m', 'b/a'], '!= matches objects without the label too')
        assert.deepEqual(await sel('region in (eu,us),env=prod'), ['a/z', 'a-b/b'])
        assert.deepEqual(await sel('region notin (us)'), ['a/a', 'a/m', 'a-b/b', 'b/a'])
        assert.deepEqual(await sel('canary'), ['b/a'])
        assert.deepEqual(await sel('!region'), ['a/a', 'a/m'])
        assert.deepEqual(await sel('env=prod', 'a'), ['a/z'])
        assert.deepEqual(await sel('env=staging'), [])
        assert.deepEqual(await sel(''), ['a/a', 'a/m', 'a/z', 'a-b/b', 'b/a'])
        const filtered = await store.list('App', { labelSelector: parseSelector('env=prod') })
        assert.equal(filtered.revision, await store.revision(), 'a filtered list still reports the store revision')
      })

      it('list reflects updates and deletes and its revision follows every write', async (store) => {
        await seed(store)
        const z = (await store.get<App>('App', 'a', 'z'))!
        await store.update({ ...z, metadata: { ...z.metadata, labels: { env: 'dev' } } })
        await store.delete('App', 'a-b', 'b')
        const prod = await store.list('App', { labelSelector: parseSelector('env=prod') })
        assert.deepEqual(prod.items, [])
        const all = await store.list('App')
        assert.deepEqual(names(all.items), ['a/a', 'a/m', 'a/z', 'b/a'])
        assert.equal(all.revision, 9)
        assert.equal(all.revision, await store.revision())
      })
    })

    describe('update (compare-and-swap)', () => {
      it('update with the current resourceVersion succeeds and bumps the revision', async (store) => {
        const a = await store.create(app('web'))
        await store.create(app('other'))
        const u = await store.update({ ...a, spec: { ...a.spec!, replicas: 3 } })
        assert.equal(u.metadata.resourceVersion, '3')
        assert.equal(await store.revision(), 3)
        assert.equal(u.spec!.replicas, 3)
        assert.equal(u.metadata.uid, a.metadata.uid, 'uid is kept')
        assert.equal(u.metadata.creationTimestamp, a.metadata.creationTimestamp, 'creationTimestamp is kept')
        assert.deepEqual(await store.get('App', 'default', 'web'), u)
        // The returned object is itself a valid CAS token for the next write.
        const u2 = await store.update({ ...u, spec: { ...u.spec!, replicas: 4 } })
        assert.equal(u2.metadata.resourceVersion, '4')
      })

      it('update with a stale resourceVersion fails with Conflict and changes nothing', async (store) => {
        const a = await store.create(app('web'))
        const b = await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })
        const revBefore = await store.revision()
        const err = await expectApiError(store.update({ ...a, spec: { ...a.spec!, replicas: 99 } }), 'Conflict')
        assert.equal(err.status, 409)
        assert.equal(err.retryable, true)
        assert.equal(await store.revision(), revBefore, 'a conflict does not bump the revision')
        assert.deepEqual(await store.get('App', 'default', 'web'), b, 'a conflict does not change the object')
        // A later write gets the very next revision: the failed write consumed none.
        const c = await store.update({ ...b, spec: { ...b.spec!, replicas: 5 } })
        assert.equal(rv(c), revBefore + 1)
      })

      it('a status write is compare-and-swap too', async (store) => {
        const a = await store.create(app('web', 'default', { status: { replicas: 0, readyReplicas: 0 } }))
        await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })
        await expectApiError(store.update({ ...a, status: { replicas: 9, readyReplicas: 9 } }, { subresource: 'status' }), 'Conflict')
        assert.deepEqual((await store.get<App>('App', 'default', 'web'))!.status, { replicas: 0, readyReplicas: 0 })
      })

      it('update of a missing object fails with NotFound and writes nothing', async (store) => {
        await store.create(app('web'))
        const err = await expectApiError(store.update(app('ghost')), 'NotFound')
        assert.equal(err.status, 404)
        await expectApiError(store.update(app('web', 'elsewhere')), 'NotFound')
        await expectApiError(store.update(app('ghost'), { subresource: 'status' }), 'NotFound')
        assert.equal(await store.revision(), 1)
        assert.equal(await store.get('App', 'default', 'ghost'), undefined, 'update never creates')
      })

      it('update without resourceVersion is unconditional', async (store) => {
        const a = await store.create(app('web'))
        await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })
        const blind = app('web', 'default', { spec: { replicas: 7 } })
        assert.equal(blind.metadata.resourceVersion, undefined)
        const u = await store.update(blind)
        assert.equal(u.spec!.replicas, 7)
        assert.equal(u.metadata.resourceVersion, '3')
        assert.equal(u.metadata.uid, a.metadata.uid)
        assert.equal(u.metadata.creationTimestamp, a.metadata.creationTimestamp)
        // An empty resourceVersion counts as "not set".
        const e = app('web', 'default', { spec: { replicas: 8 } })
        e.metadata.resourceVersion = ''
        assert.equal((await store.update(e)).spec!.replicas, 8)
      })
    })

    describe('generation and status', () => {
      it('generation increments only when the spec changes', async (store) => {
        const a = await store.create(app('web', 'default', { labels: { tier: 'edge' } }))
        assert.equal(a.metadata.generation, 1)
        const labelsOnly = await store.update({ ...a, metadata: { ...a.metadata, labels: { tier: 'central' } } })
        assert.equal(labelsOnly.metadata.generation, 1, 'a label-only change keeps the generation')
        assert.deepEqual(labelsOnly.metadata.labels, { tier: 'central' })
        const annotations = await store.update({ ...labelsOnly, metadata: { ...labelsOnly.metadata, annotations: { note: 'x' } } })
        assert.equal(annotations.metadata.generation, 1, 'an annotation-only change keeps the generation')
        const same = await store.update({ ...annotations })
        assert.equal(same.metadata.generation, 1, 'rewriting the same spec keeps the generation')
        assert.equal(rv(same), rv(annotations) + 1, 'a no-op write is still a write')
        const spec = await store.update({ ...same, spec: { ...same.spec!, replicas: 3 } })
        assert.equal(spec.metadata.generation, 2)
        const spec2 = await store.update({ ...spec, spec: { ...spec.spec!, template: { command: 'deno' } } })
        assert.equal(spec2.metadata.generation, 3)
        const client = { ...spec2, metadata: { ...spec2.metadata, generation: 1000 } }
        assert.equal((await store.update(client)).metadata.generation, 3, 'a client cannot set the generation')
      })

      it('generation does not change when the same spec arrives with its keys in another order', async (store) => {
        const a = await store.create(app('web', 'default', { spec: { replicas: 2, template: { command: 'node', env: { A: '1', B: '2' } } } }))
        // The same content as a client would send it after a YAML round trip: other key order at every level.
        const reordered: App = {
          metadata: { ...a.metadata },
          spec: { template: { env: { B: '2', A: '1' }, command: 'node' }, replicas: 2 },
          kind: 'App',
          apiVersion: a.apiVersion,
        }
        const u = await store.update(reordered)
        assert.equal(u.metadata.generation, 1)
      })

      it('an update keeps the stored status: a spec write never clobbers status', async (store) => {
        const a = await store.create(app('web', 'default', { status: { phase: 'Running', replicas: 1, readyReplicas: 1 } }))
        assert.deepEqual(a.status, { phase: 'Running', replicas: 1, readyReplicas: 1 }, 'create stores the given status')
        const withOther = await store.update({ ...a, spec: { ...a.spec!, replicas: 2 }, status: { phase: 'Bogus', replicas: 0, readyReplicas: 0 } })
        assert.deepEqual(withOther.status, { phase: 'Running', replicas: 1, readyReplicas: 1 })
        const { status: _dropped, ...noStatus } = withOther
        const withNone = await store.update(noStatus as App)
        assert.deepEqual(withNone.status, { phase: 'Running', replicas: 1, readyReplicas: 1 }, 'omitting status does not erase it')
        assert.deepEqual((await store.get<App>('App', 'default', 'web'))!.status, { phase: 'Running', replicas: 1, readyReplicas: 1 })
        assert.equal(withNone.metadata.generation, 2)

        // An object created without status does not gain one from a spec write.
        const b = await store.create(app('api'))
        const bu = await store.update({ ...b, status: { replicas: 5, readyReplicas: 5 } })
        assert.equal(bu.status, undefined)
        assert.equal((await store.get<App>('App', 'default', 'api'))!.status, undefined)
      })

      it('a status update replaces only status and keeps the generation', async (store) => {
        const a = await store.create(app('web', 'default', { labels: { tier: 'edge' } }))
        const s = await store.update(
          { ...a, metadata: { ...a.metadata, labels: { tier: 'changed' } }, spec: { ...a.spec!, replicas: 50 }, status: { phase: 'Running', replicas: 1, readyReplicas: 1, observedGeneration: 1 } },
          { subresource: 'status' },
        )
        assert.deepEqual(s.status, { phase: 'Running', replicas: 1, readyReplicas: 1, observedGeneration: 1 })
        assert.equal(s.spec!.replicas, 1, 'a status write ignores spec')
        assert.deepEqual(s.metadata.labels, { tier: 'edge' }, 'a status write ignores metadata')
        assert.equal(s.metadata.generation, 1)
        assert.equal(s.metadata.uid, a.metadata.uid)
        assert.equal(rv(s), rv(a) + 1)
        assert.deepEqual(await store.get('App', 'default', 'web'), s)
        const s2 = await store.update({ ...s, status: { phase: 'Degraded', replicas: 1, readyReplicas: 0 } }, { subresource: 'status' })
        assert.deepEqual(s2.status, { phase: 'Degraded', replicas: 1, readyReplicas: 0 })
        assert.equal(s2.metadata.generation, 1)
      })
    })

    describe('delete', () => {
      it('delete removes the object and returns it with the delete revision', async (store) => {
        const a = await store.create(app('web', 'default', { labels: { tier: 'edge' } }))
        await store.create(app('api'))
        const d = await store.delete('App', 'default', 'web')
        assert.equal(d.metadata.resourceVersion, '3')
        assert.equal(await store.revision(), 3)
        assert.equal(d.metadata.uid, a.metadata.uid)
        assert.deepEqual(d.spec, a.spec)
        assert.deepEqual(d.metadata.labels, { tier: 'edge' })
        assert.equal(await store.get('App', 'default', 'web'), undefined)
        assert.deepEqual((await store.list('App')).items.map((o) => o.metadata.name), ['api'])
        // The name is free again: a new object with a new uid, generation 1.
        const again = await store.create(app('web'))
        assert.notEqual(again.metadata.uid, a.metadata.uid)
        assert.equal(again.metadata.generation, 1)
        assert.equal(again.metadata.resourceVersion, '4')
      })

      it('delete with the current resourceVersion succeeds; a stale one fails with Conflict', async (store) => {
        const a = await store.create(app('web'))
        const b = await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })
        await expectApiError(store.delete('App', 'default', 'web', { resourceVersion: a.metadata.resourceVersion }), 'Conflict')
        assert.equal(await store.revision(), 2)
        assert.deepEqual(await store.get('App', 'default', 'web'), b, 'a conflicting delete leaves the object')
        const d = await store.delete('App', 'default', 'web', { resourceVersion: b.metadata.resourceVersion })
        assert.equal(d.metadata.resourceVersion, '3')
        assert.equal(await store.get('App', 'default', 'web'), undefined)
      })

      it('delete of a missing object fails with NotFound', async (store) => {
        await expectApiError(store.delete('App', 'default', 'ghost'), 'NotFound')
        await store.create(app('web'))
        await store.delete('App', 'default', 'web')
        await expectApiError(store.delete('App', 'default', 'web'), 'NotFound')
        assert.equal(await store.revision(), 2)
      })
    })

    describe('the global revision', () => {
      it('every write bumps one revision across kinds and namespaces, strictly by 1; failures bump nothing', async (store) => {
        const seen: number[] = []
        const a = await store.create(app('web', 'ns1'))
        seen.push(rv(a))
        seen.push(rv(await store.create(site('fra-1'))))
        seen.push(rv(await store.create(app('web', 'ns2'))))
        await expectApiError(store.create(site('fra-1')), 'AlreadyExists')
        seen.push(rv(await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })))
        await expectApiError(store.update({ ...a, spec: { ...a.spec!, replicas: 3 } }), 'Conflict')
        seen.push(rv(await store.update({ ...app('web', 'ns2'), status: { replicas: 1, readyReplicas: 1 } }, { subresource: 'status' })))
        await expectApiError(store.delete('Site', undefined, 'nope'), 'NotFound')
        seen.push(rv(await store.delete('Site', undefined, 'fra-1')))
        seen.push(rv(await store.create({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'ns1' } })))
        assertStrictlyIncreasingByOne(seen, 1)
        assert.equal(await store.revision(), 7)
      })
    })

    describe('watch', () => {
      it('delivers history then live events in revision order, filtered by kind', async (store) => {
        const a1 = await store.create(app('a1', 'ns1'))
        await store.create(site('fra-1'))
        await store.create(app('a2', 'ns2'))
        await store.update({ ...a1, spec: { ...a1.spec!, replicas: 2 } })
        await store.delete('App', 'ns2', 'a2')
        const rec = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: 0 }, rec.onEvent)
        await rec.until(4)
        assert.deepEqual(rec.summary(), ['ADDED App/ns1/a1@1', 'ADDED App/ns2/a2@3', 'MODIFIED App/ns1/a1@4', 'DELETED App/ns2/a2@5'])
        assert.equal((rec.events[2].object as App).spec!.replicas, 2, 'a MODIFIED event carries the new object')
        for (const ev of rec.events) assert.equal(ev.object.metadata.resourceVersion, String(ev.revision), 'event revision = object resourceVersion')

        await store.create(site('ams-1'))
        await store.create(app('a3', 'ns1'))
        await store.update({ ...app('a3', 'ns1'), spec: { replicas: 4, template: { command: 'x' } } })
        await store.delete('App', 'ns1', 'a1')
        await rec.until(7)
        assert.deepEqual(rec.summary().slice(4), ['ADDED App/ns1/a3@7', 'MODIFIED App/ns1/a3@8', 'DELETED App/ns1/a1@9'])
        w.close()
      })

      it('filters by namespace, and without a kind delivers every kind', async (store) => {
        const nsRec = new Recorder()
        const allRec = new Recorder()
        const w1 = await store.watch({ kind: 'App', namespace: 'ns1', fromRevision: 0 }, nsRec.onEvent)
        const w2 = await store.watch({ fromRevision: 0 }, allRec.onEvent)
        await store.create(app('a1', 'ns1'))
        await store.create(app('a2', 'ns2'))
        await store.create(site('fra-1'))
        await store.create({ ...app('r1', 'ns1'), kind: 'Revision' })
        await store.create(app('a3', 'ns1'))
        await allRec.until(5)
        await nsRec.until(2)
        assert.deepEqual(nsRec.summary(), ['ADDED App/ns1/a1@1', 'ADDED App/ns1/a3@5'])
        assert.deepEqual(allRec.revisions(), [1, 2, 3, 4, 5])
        // The same filters apply to replayed history.
        const hist = new Recorder()
        const w3 = await store.watch({ kind: 'App', namespace: 'ns1', fromRevision: 0 }, hist.onEvent)
        await hist.until(2)
        assert.deepEqual(hist.summary(), nsRec.summary())
        w1.close(); w2.close(); w3.close()
        assert.equal(nsRec.events.length, 2, 'no extra events')
      })

      it('a watch from the current revision gets only new events; from the middle, only later ones', async (store) => {
        for (let i = 0; i < 5; i++) await store.create(app(`a${i}`))
        const rec = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: await store.revision() }, rec.onEvent)
        const mid = new Recorder()
        const w2 = await store.watch({ kind: 'App', fromRevision: 3 }, mid.onEvent)
        await mid.until(2)
        assert.deepEqual(mid.revisions(), [4, 5])
        assert.equal(rec.events.length, 0, 'nothing old is replayed')
        await store.create(app('new'))
        await rec.until(1)
        assert.deepEqual(rec.summary(), ['ADDED App/default/new@6'])
        await mid.until(3)
        assert.deepEqual(mid.revisions(), [4, 5, 6])
        w.close(); w2.close()
      })

      it('a watch from a list revision sees exactly what changed after the list', async (store) => {
        await store.create(app('a'))
        await store.create(app('b'))
        const listed = await store.list('App')
        await store.create(app('c'))
        const rec = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: listed.revision }, rec.onEvent)
        await store.delete('App', 'default', 'a')
        await rec.until(2)
        assert.deepEqual(rec.summary(), ['ADDED App/default/c@3', 'DELETED App/default/a@4'])
        w.close()
      })

      it('close() stops delivery and calls onClose once', async (store) => {
        const rec = new Recorder()
        const other = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: 0 }, rec.onEvent, rec.onClose)
        const w2 = await store.watch({ kind: 'App', fromRevision: 0 }, other.onEvent)
        await store.create(app('a'))
        await rec.until(1)
        w.close()
        w.close()
        assert.deepEqual(rec.closedWith, [undefined], 'onClose once, without an error')
        await store.create(app('b'))
        await store.update(app('a', 'default', { spec: { replicas: 3 } }))
        await other.until(3) // the other watcher proves the writes were delivered
        assert.equal(rec.events.length, 1, 'a closed watch receives nothing more')
        w2.close()
      })

      it('a watcher that closes itself from its handler gets nothing more', async (store) => {
        const rec = new Recorder()
        const other = new Recorder()
        let w: { close(): void } | undefined
        w = await store.watch({ kind: 'App', fromRevision: 0 }, (ev) => { rec.onEvent(ev); if (ev.revision === 2) w?.close() })
        const w2 = await store.watch({ kind: 'App', fromRevision: 0 }, other.onEvent)
        await Promise.all([1, 2, 3, 4].map((i) => store.create(app(`a${i}`))))
        await other.until(4)
        assert.deepEqual(rec.revisions(), [1, 2])
        w2.close()
      })

      it('a handler that writes to the store still sees every event in revision order (fan-out reentrancy)', async (store) => {
        const writer = new Recorder()
        const observer = new Recorder()
        const writes: Promise<unknown>[] = []
        const w1 = await store.watch({ fromRevision: 0 }, (ev) => {
          writer.onEvent(ev)
          // React to every trigger by writing an echo and updating a counter: writes from inside delivery.
          if (ev.type === 'ADDED' && ev.object.metadata.name.startsWith('trigger-')) {
            const n = ev.object.metadata.name.slice('trigger-'.length)
            writes.push(store.create({ apiVersion: 'v1', kind: 'Echo', metadata: { name: `echo-${n}`, namespace: 'default' } }))
            writes.push(store.update(app('counter', 'default', { spec: { replicas: Number(n) } })))
          }
        })
        const w2 = await store.watch({ fromRevision: 0 }, observer.onEvent)
        await store.create(app('counter'))
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(app(`trigger-${i}`))))
        await observer.until(31)
        await Promise.all(writes)
        assert.equal(await store.revision(), 31)
        assertStrictlyIncreasingByOne(writer.revisions(), 1, 'the writing handler')
        assertStrictlyIncreasingByOne(observer.revisions(), 1, 'another watcher')
        assert.equal(observer.events.filter((e) => e.object.kind === 'Echo').length, 10)
        // Events a handler causes come after the event that caused them.
        for (const ev of observer.events.filter((e) => e.object.kind === 'Echo')) {
          const cause = observer.events.find((e) => e.object.metadata.name === ev.object.metadata.name.replace('echo-', 'trigger-'))!
          assert.ok(cause.revision < ev.revision)
        }
        w1.close(); w2.close()
      })

      it('a watch opened while writes are in flight misses nothing and repeats nothing', async (store) => {
        for (let i = 0; i < 5; i++) await store.create(app(`pre-${i}`))
        const rec = new Recorder()
        const inflight = Array.from({ length: 20 }, (_, i) => store.create(app(`during-${i}`)))
        const watching = store.watch({ kind: 'App', fromRevision: 2 }, rec.onEvent)
        inflight.push(...Array.from({ length: 20 }, (_, i) => store.create(app(`after-${i}`))))
        const w = await watching
        await Promise.all(inflight)
        await store.create(app('last'))
        await rec.until(44) // revisions 3..46
        assertStrictlyIncreasingByOne(rec.revisions(), 3)
        assert.equal(rec.events.length, 44)
        w.close()
      })

      it('a throwing handler does not fail the writer nor starve other watchers', async (store) => {
        const good = new Recorder()
        const bad = new Recorder()
        const wBad = await store.watch({ kind: 'App', fromRevision: 0 }, (ev) => { bad.onEvent(ev); throw new Error('handler bug') }, bad.onClose)
        const wGood = await store.watch({ kind: 'App', fromRevision: 0 }, good.onEvent)
        const a = await store.create(app('a')) // must resolve: the write committed
        assert.equal(a.metadata.resourceVersion, '1')
        await store.create(app('b'))
        await good.until(2)
        assert.deepEqual(good.revisions(), [1, 2])
        assert.deepEqual(bad.revisions(), [1], 'a failed watcher is closed')
        assert.equal(bad.closedWith.length, 1)
        assert.match(String(bad.closedWith[0]), /handler bug/)
        wBad.close(); wGood.close()
      })

      it('a handler that throws while history replays rejects the watch and leaves no subscription behind', async (store) => {
        await store.create(app('a'))
        let calls = 0
        await assert.rejects(store.watch({ kind: 'App', fromRevision: 0 }, () => { calls++; throw new Error('replay bug') }), /replay bug/)
        assert.equal(calls, 1)
        const good = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: 1 }, good.onEvent)
        await store.create(app('b'))
        await good.until(1)
        assert.equal(calls, 1, 'the rejected watch gets no live events')
        w.close()
      })
    })

    describe('compaction', () => {
      async function history(store: Store): Promise<void> {
        const a = await store.create(app('a'))            // 1
        await store.create(app('b'))                      // 2
        await store.create(site('fra-1'))                 // 3
        await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } }) // 4
        await store.delete('App', 'default', 'b')         // 5
        await store.create(app('c'))                      // 6
      }

      it('after compact(r), a watch from before r fails with Compacted (HTTP 410); from r on it works', async (store) => {
        await history(store)
        await store.compact(4)
        assert.equal(await store.compactedRevision(), 4)
        for (const from of [0, 1, 3]) {
          const err = await expectApiError(store.watch({ kind: 'App', fromRevision: from }, () => assert.fail('no events for a rejected watch')), 'Compacted')
          assert.equal(err.status, 410)
          assert.equal(ERRORS[err.code].status, 410)
          assert.equal(err.retryable, true)
        }
        const at = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: 4 }, at.onEvent)
        await at.until(2)
        assert.deepEqual(at.summary(), ['DELETED App/default/b@5', 'ADDED App/default/c@6'])
        const later = new Recorder()
        const w2 = await store.watch({ fromRevision: 5 }, later.onEvent)
        await store.create(app('d'))
        await later.until(2)
        assert.deepEqual(later.revisions(), [6, 7])
        await at.until(3)
        w.close(); w2.close()
      })

      it('keeps every current object readable, and writes carry on from the same revision', async (store) => {
        await history(store)
        const before = await store.list('App')
        await store.compact(6)
        assert.deepEqual(await store.list('App'), before)
        assert.equal((await store.get<App>('App', 'default', 'a'))!.spec!.replicas, 2, 'written at revision 4, below the compaction point')
        assert.ok(await store.get('Site', undefined, 'fra-1'), 'written at revision 3')
        assert.equal(await store.get('App', 'default', 'b'), undefined)
        assert.equal(await store.revision(), 6)
        const d = await store.create(app('d'))
        assert.equal(d.metadata.resourceVersion, '7')
        const a = (await store.get<App>('App', 'default', 'a'))!
        const u = await store.update({ ...a, spec: { ...a.spec!, replicas: 3 } })
        assert.equal(u.metadata.generation, 3, 'generation survives compaction')
        await expectApiError(store.update({ ...a, metadata: { ...a.metadata, resourceVersion: '1' } }), 'Conflict')
      })

      it('compact beyond the current revision clamps to it; compacting lower again is a no-op', async (store) => {
        await history(store)
        await store.compact(1000)
        assert.equal(await store.compactedRevision(), 6)
        assert.equal(await store.revision(), 6, 'compaction does not move the revision')
        await store.compact(2)
        assert.equal(await store.compactedRevision(), 6, 'compaction never goes backwards')
        await expectApiError(store.watch({ fromRevision: 5 }, () => {}), 'Compacted')
        const rec = new Recorder()
        const w = await store.watch({ fromRevision: 6 }, rec.onEvent)
        await store.create(app('z'))
        await rec.until(1)
        assert.deepEqual(rec.revisions(), [7])
        w.close()
      })

      it('a watch racing with a compaction either fails with Compacted or misses nothing', async (store) => {
        await history(store)
        const rec = new Recorder()
        const watching = store.watch({ kind: 'App', fromRevision: 1 }, rec.onEvent)
        const compacting = store.compact(5)
        let w: { close(): void } | undefined
        try {
          w = await watching
        } catch (err) {
          assert.ok(err instanceof ApiError && err.code === 'Compacted', `unexpected ${String(err)}`)
        }
        await compacting
        if (w) {
          // Resolved: it must have replayed every App event after revision 1, with no gap.
          await rec.until(4)
          assert.deepEqual(rec.revisions(), [2, 4, 5, 6])
          w.close()
        }
        assert.equal(await store.compactedRevision(), 5)
      })
    })

    describe('concurrent writes', () => {
      it('50 concurrent creates get 50 distinct consecutive revisions and a watcher sees all 50', async (store) => {
        await store.create(site('fra-1'))
        const rec = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: 1 }, rec.onEvent)
        const created = await Promise.all(Array.from({ length: 50 }, (_, i) => store.create(app(`app-${i}`))))
        const revs = created.map(rv).sort((a, b) => a - b)
        assertStrictlyIncreasingByOne(revs, 2)
        await rec.until(50)
        assertStrictlyIncreasingByOne(rec.revisions(), 2, 'watch order')
        assert.equal(new Set(rec.events.map((e) => e.object.metadata.name)).size, 50)
        assert.equal((await store.list('App')).items.length, 50)
        assert.equal(await store.revision(), 51)
        w.close()
      })

      it('50 concurrent unconditional updates of one object are all applied, in order', async (store) => {
        const base = await store.create(app('hot'))
        const rec = new Recorder()
        const w = await store.watch({ kind: 'App', fromRevision: rv(base) }, rec.onEvent)
        const updated = await Promise.all(Array.from({ length: 50 }, (_, i) => store.update(app('hot', 'default', { spec: { replicas: i + 2 } }))))
        assertStrictlyIncreasingByOne(updated.map(rv).sort((a, b) => a - b), 2)
        await rec.until(50)
        assertStrictlyIncreasingByOne(rec.revisions(), 2, 'watch order')
        const last = rec.events[rec.events.length - 1].object as App
        const stored = (await store.get<App>('App', 'default', 'hot'))!
        assert.deepEqual(stored, last, 'the stored object is the last event')
        assert.equal(stored.metadata.generation, 51)
        w.close()
      })

      it('50 concurrent compare-and-swap updates from the same version: exactly one wins', async (store) => {
        const base = await store.create(app('hot'))
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.update<App>({ ...base, spec: { ...base.spec!, replicas: i + 2 } })))
        const won = results.filter((r): r is PromiseFulfilledResult<App> => r.status === 'fulfilled')
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        assert.equal(won.length, 1)
        assert.ok(lost.every((r) => r.reason instanceof ApiError && r.reason.code === 'Conflict'))
        assert.equal(await store.revision(), 2)
        assert.deepEqual(await store.get('App', 'default', 'hot'), won[0].value)
      })

      it('mixed concurrent writes across kinds each get their own revision, and the log replays them all', async (store) => {
        const ops: Promise<Resource>[] = []
        for (let i = 0; i < 25; i++) {
          ops.push(store.create(app(`a${i}`, `ns${i % 3}`)))
          ops.push(store.create(site(`s${i}`)))
        }
        const out = await Promise.all(ops)
        assertStrictlyIncreasingByOne(out.map(rv).sort((a, b) => a - b), 1)
        const rec = new Recorder()
        const w = await store.watch({ fromRevision: 0 }, rec.onEvent)
        await rec.until(50)
        assertStrictlyIncreasingByOne(rec.revisions(), 1)
        const byRev = new Map<number, WatchEvent>(rec.events.map((e) => [e.revision, e]))
        for (const o of out) assert.deepEqual(byRev.get(rv(o))!.object, o, 'each write is logged exactly as returned')
        w.close()
      })
    })
  })
}
