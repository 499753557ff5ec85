// DesiredIndex fed by a real Instance cache over a memory store, wired as the server wires it:
// versions are store revisions, deltas from the history, full documents below the floor or above
// the current version, moves between nodes, and loading from an existing instance list.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Instance } from '../../src/api/kinds/index.js'
import { DesiredIndex, toDesired } from '../../src/server/link/desired-index.js'
import { Cache } from '../../src/store/cache.js'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/types.js'
import { instanceObj, runningStatus, template } from '../controllers/helpers.js'

interface Setup {
  store: Store
  cache: Cache<Instance>
  index: DesiredIndex
  changed: string[]
  create: (name: string, node: string) => Promise<Instance>
  rev: () => Promise<number>
}

async function setup(t: TestContext, opts: { maxChanges?: number; before?: (store: Store) => Promise<void> } = {}): Promise<Setup> {
  const store = openStore({ driver: 'memory' })
  await opts.before?.(store)
  const cache = new Cache<Instance>(store, 'Instance')
  await cache.start()
  const index = new DesiredIndex(cache.revision, opts.maxChanges)
  for (const i of cache.list()) index.onInstanceEvent({ type: 'ADDED', object: i, revision: cache.revision }, undefined)
  cache.on((ev, prev) => index.onInstanceEvent(ev, prev))
  const changed: string[] = []
  index.onChange((n) => changed.push(n))
  t.after(async () => { cache.stop(); await store.close() })
  return {
    store, cache, index, changed,
    create: (name, node) => store.create(instanceObj(name, node, 's0')),
    rev: () => store.revision(),
  }
}

const uids = (list: { uid: string }[]) => list.map((d) => d.uid).sort()

test('desired index: each change takes the store revision that caused it as the node version', async (t) => {
  const s = await setup(t)
  assert.equal(s.index.version('n1'), 0)
  const a = await s.create('a', 'n1')
  assert.equal(s.index.version('n1'), Number(a.metadata.resourceVersion))
  const b = await s.create('b', 'n2')
  assert.equal(s.index.version('n2'), Number(b.metadata.resourceVersion))
  assert.equal(s.index.version('n1'), Number(a.metadata.resourceVersion), 'other nodes keep their version')
  await s.store.delete('Instance', 'default', 'a')
  assert.equal(s.index.version('n1'), await s.rev())
  assert.deepEqual(s.index.instances('n1'), [])
  assert.deepEqual(s.changed, ['n1', 'n2', 'n1'])
  assert.deepEqual(s.index.instances('n2'), [toDesired(b)])
  assert.deepEqual(toDesired(b), { uid: b.metadata.uid, namespace: 'default', name: 'b', app: 'web', revision: 'r1', template: template() })
})

test('desired index: status-only updates change neither the document nor its version', async (t) => {
  const s = await setup(t)
  const a = await s.create('a', 'n1')
  const v = s.index.version('n1')
  const before = structuredClone(s.index.instances('n1'))
  await s.store.update({ ...a, status: runningStatus(a) }, { subresource: 'status' })
  const cur = (await s.store.get<Instance>('Instance', 'default', 'a'))!
  await s.store.update({ ...cur, metadata: { ...cur.metadata, labels: { x: 'y' } } }) // metadata only: same generation
  assert.ok(await s.rev() > v)
  assert.equal(s.index.version('n1'), v)
  assert.deepEqual(s.index.instances('n1'), before)
  assert.deepEqual(s.changed, ['n1'])
  assert.equal(s.index.diff('n1', v), undefined)
})

test('desired index: a spec change in place is an upsert at its revision', async (t) => {
  const s = await setup(t)
  const a = await s.create('a', 'n1')
  const v = s.index.version('n1')
  const cur = (await s.store.get<Instance>('Instance', 'default', 'a'))!
  const updated = await s.store.update({ ...cur, spec: { ...cur.spec, template: template({ command: 'other' }) } })
  assert.equal(s.index.version('n1'), Number(updated.metadata.resourceVersion))
  const d = s.index.diff('n1', v)!
  assert.equal(d.full, false)
  assert.deepEqual(d.upsert.map((x) => x.template.command), ['other'])
  assert.equal(d.upsert[0].uid, a.metadata.uid)
})

test('desired index: diff at the current version is nothing; from an older one, only what changed', async (t) => {
  const s = await setup(t)
  const a = await s.create('a', 'n1')
  const b = await s.create('b', 'n1')
  await s.create('other', 'n2')
  const base = s.index.version('n1')
  assert.equal(s.index.diff('n1', base), undefined)

  const c = await s.create('c', 'n1') // added, stays
  const d = await s.create('d', 'n1') // added then removed
  await s.store.delete('Instance', 'default', 'd')
  await s.store.delete('Instance', 'default', 'b') // was in the base
  await s.store.update({ ...a, status: runningStatus(a) }, { subresource: 'status' }) // status only

  const msg = s.index.diff('n1', base)!
  assert.equal(msg.t, 'desired')
  assert.equal(msg.full, false)
  assert.equal(msg.base, base)
  assert.equal(msg.version, s.index.version('n1'))
  assert.deepEqual(uids(msg.upsert), [c.metadata.uid])
  assert.deepEqual(msg.remove.sort(), [b.metadata.uid, d.metadata.uid].sort(), 'd appears only as a remove')
  assert.ok(!msg.upsert.some((x) => x.uid === a.metadata.uid), 'an unchanged instance is not resent')

  // From a version in the middle of the history.
  const mid = Number(c.metadata.resourceVersion)
  const msg2 = s.index.diff('n1', mid)!
  assert.equal(msg2.base, mid)
  assert.deepEqual(msg2.upsert, [])
  assert.deepEqual(msg2.remove.sort(), [b.metadata.uid, d.metadata.uid].sort())

  // Applying the delta to the base document gives the current document.
  const current = new Map([[a.metadata.uid, 1], [b.metadata.uid, 1]])
  for (const r of msg.remove) current.delete(r)
  for (const u of msg.upsert) current.set(u.uid, 1)
  assert.deepEqual([...current.keys()].sort(), uids(s.index.instances('n1')))
})

test('desired index: below the trimmed history, or above the current version, a full document', async (t) => {
  const s = await setup(t, { maxChanges: 2 })
  await s.create('a', 'n1')
  const v1 = s.index.version('n1')
  await s.create('b', 'n1')
  await s.create('c', 'n1')
  await s.create('d', 'n1')
  await s.store.delete('Instance', 'default', 'c')
  const now = s.index.version('n1')

  const old = s.index.diff('n1', v1)!
  assert.equal(old.full, true, 'v1 is below the floor: the history after it was trimmed')
  assert.equal(old.version, now)
  assert.equal(old.base, undefined)
  assert.deepEqual(old.remove, [])
  assert.equal(old.upsert.length, 3)

  const zero = s.index.diff('n1', 0)!
  assert.equal(zero.full, true)


  const stale = s.index.diff('n1', now + 100)!
  assert.equal(stale.full, true, 'an agent ahead of this server (restored from a backup) gets the whole document')
  assert.equal(stale.version, now)
  assert.equal(stale.upsert.length, 3)
})

test('desired index: the delta right at the floor is still complete', async (t) => {
  const s = await setup(t, { maxChanges: 3 })
  const made: Instance[] = []
  for (const n of ['a', 'b', 'c', 'd', 'e']) made.push(await s.create(n, 'n1'))
  const rv = (i: Instance) => Number(i.metadata.resourceVersion)
  // History holds c, d, e; the floor is b's revision.
  assert.equal(s.index.diff('n1', rv(made[0]))!.full, true)
  const atFloor = s.index.diff('n1', rv(made[1]))!
  assert.equal(atFloor.full, false)
  assert.deepEqual(uids(atFloor.upsert), uids(made.slice(2).map(toDesired)))
})

test('desired index: an instance moved between nodes leaves one document and joins the other', async (t) => {
  const s = await setup(t)
  const a = await s.create('a', 'n1')
  await s.create('b', 'n2')
  const v1 = s.index.version('n1')
  const v2 = s.index.version('n2')
  const moved = await s.store.update({ ...a, spec: { ...a.spec, node: 'n2' } })
  const rev = Number(moved.metadata.resourceVersion)
  assert.equal(s.index.version('n1'), rev)
  assert.equal(s.index.version('n2'), rev)
  assert.deepEqual(s.index.instances('n1'), [])
  assert.deepEqual(uids(s.index.instances('n2')).length, 2)
  const left = s.index.diff('n1', v1)!
  assert.deepEqual(left.remove, [a.metadata.uid])
  assert.deepEqual(left.upsert, [])
  const joined = s.index.diff('n2', v2)!
  assert.deepEqual(uids(joined.upsert), [a.metadata.uid])
  assert.deepEqual(joined.remove, [])
  assert.deepEqual(s.changed.slice(-2).sort(), ['n1', 'n2'])
})

test('desired index: loaded from existing instances, every node is at the base version', async (t) => {
  let a!: Instance
  const s = await setup(t, {
    before: async (store) => {
      a = await store.create(instanceObj('a', 'n1', 's0'))
      await store.create(instanceObj('b', 'n1', 's0'))
      await store.create(instanceObj('c', 'n2', 's0'))
      await store.delete('Instance', 'default', 'b')
      await store.create(instanceObj('x', 'n3', 's0'))
      await store.delete('Instance', 'default', 'x')
    },
  })
  const base = await s.rev()
  assert.equal(s.cache.revision, base)
  for (const n of ['n1', 'n2', 'n3', 'never-seen']) assert.equal(s.index.version(n), base, n)
  assert.deepEqual(s.changed, [], 'loading notifies nobody')
  assert.deepEqual(uids(s.index.instances('n1')), [a.metadata.uid])
  assert.equal(s.index.diff('n1', base), undefined, 'an agent that saw the base needs nothing')
  const full = s.index.diff('n1', base - 3)!
  assert.equal(full.full, true, 'no history below the base')
  assert.deepEqual(uids(full.upsert), [a.metadata.uid])
  assert.equal(s.index.diff('n2', 0)!.full, true)

  // Changes after the load are deltas from the base.
  const d = await s.create('d', 'n2')
  const delta = s.index.diff('n2', base)!
  assert.equal(delta.full, false)
  assert.deepEqual(uids(delta.upsert), [d.metadata.uid])
})
