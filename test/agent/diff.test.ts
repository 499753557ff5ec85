// The agent's pure reconcile core: which instances to add, remove and keep (by uid), and how a
// desired message (full or delta) applies to the document the agent holds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DesiredInstance } from '../../src/api/link.js'
import { applyDesired, diffInstances } from '../../src/agent/diff.js'

function inst(uid: string, command = 'web'): DesiredInstance {
  return { uid, namespace: 'default', name: `web-${uid}`, app: 'web', revision: 'r1', template: { runtime: 'process', command, stopGracePeriodSeconds: 10 } }
}

test('diffInstances: add what is desired and missing, remove what runs and is not desired, keep the rest', () => {
  const d = diffInstances(['a', 'b', 'c'], [inst('b'), inst('c'), inst('d'), inst('e')])
  assert.deepEqual(d.add.map((i) => i.uid), ['d', 'e'])
  assert.deepEqual(d.remove, ['a'])
  assert.deepEqual(d.keep, ['b', 'c'])
})

test('diffInstances: empty sides, duplicates and any iterable of uids', () => {
  assert.deepEqual(diffInstances([], []), { add: [], remove: [], keep: [] })
  assert.deepEqual(diffInstances(new Set(['x', 'y']), []), { add: [], remove: ['x', 'y'], keep: [] })
  const fresh = diffInstances([], [inst('a'), inst('b')])
  assert.deepEqual(fresh.add.map((i) => i.uid), ['a', 'b'])
  const dup = diffInstances(['a', 'a'], [inst('a'), inst('a')])
  assert.deepEqual(dup, { add: [], remove: [], keep: ['a'] })
})

test('diffInstances: identity is the uid, not the name or the template', () => {
  const running = new Map([['a', inst('a', 'old')]])
  const d = diffInstances(running.keys(), [{ ...inst('a', 'new'), name: 'renamed' }])
  assert.deepEqual(d, { add: [], remove: [], keep: ['a'] }, 'a changed template always comes as a new uid')
})

test('applyDesired: a full document replaces whatever is held', () => {
  const held = { version: 10, instances: [inst('a'), inst('b')] }
  const next = applyDesired(held, { version: 3, full: true, upsert: [inst('c')], remove: ['ignored'] })
  assert.deepEqual(next, { version: 3, instances: [inst('c')] })
  assert.deepEqual(held.instances.map((i) => i.uid), ['a', 'b'], 'the held document is not mutated')
})

test('applyDesired: a delta on the matching base removes and upserts', () => {
  const held = { version: 10, instances: [inst('a'), inst('b'), inst('c')] }
  const next = applyDesired(held, { version: 14, full: false, base: 10, upsert: [inst('d'), inst('b', 'changed')], remove: ['a', 'never-had'] })
  assert.ok(next)
  assert.equal(next.version, 14)
  assert.deepEqual(next.instances.map((i) => i.uid).sort(), ['b', 'c', 'd'])
  assert.equal(next.instances.find((i) => i.uid === 'b')?.template.command, 'changed')
  assert.deepEqual(held.instances.map((i) => i.uid), ['a', 'b', 'c'], 'the held document is not mutated')
})

test('applyDesired: a delta on another base cannot be applied', () => {
  const held = { version: 10, instances: [inst('a')] }
  assert.equal(applyDesired(held, { version: 14, full: false, base: 9, upsert: [], remove: ['a'] }), undefined)
  assert.equal(applyDesired(held, { version: 14, full: false, base: 11, upsert: [inst('b')], remove: [] }), undefined)
  assert.equal(applyDesired(held, { version: 14, full: false, upsert: [inst('b')], remove: [] }), undefined, 'a delta without a base')
})

test('applyDesired then diffInstances: what the reconciler would do after a delta', () => {
  const held = { version: 1, instances: [inst('a'), inst('b')] }
  const next = applyDesired(held, { version: 2, full: false, base: 1, upsert: [inst('c')], remove: ['a'] })!
  const d = diffInstances(held.instances.map((i) => i.uid), next.instances)
  assert.deepEqual(d.add.map((i) => i.uid), ['c'])
  assert.deepEqual(d.remove, ['a'])
  assert.deepEqual(d.keep, ['b'])
})
