// Priorities and preemption: when no site has room, instances of strictly lower-priority apps on
// one node make room: the fewest victims, preferring ones that are not ready, of the lowest
// priority, the youngest; within the hourly budget. Placements that need the room wait for their
// victims (Placement.after).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import type { PlacedInstance } from '../../src/scheduler/types.js'
import { Harness, inst, node, req, site, snap } from './harness.js'

const cpu = (m: number) => ({ cpu: m, memory: 0 })
const batch = (name: string, nodeName: string, siteName: string, over: Partial<PlacedInstance> = {}) =>
  inst(name, nodeName, siteName, { app: 'default/batch', priority: 0, request: cpu(500), ready: true, createdAt: 1, ...over })
const live = (over: Parameters<typeof req>[0] = {}) => req({ name: 'live', replicas: 1, cpu: '500m', memory: null, priority: 10, recentPreemptions: 0, ...over })

/** Two full 1-core nodes in two sites. */
function full(a: PlacedInstance[], b: PlacedInstance[]) {
  return snap([site('a'), site('b')], [node('a-n', 'a', { cpu: 1000 }), node('b-n', 'b', { cpu: 1000 })], [...a, ...b])
}

test('preemption: a higher-priority replica takes the room of one lower-priority instance', () => {
  const s = full([batch('b1', 'a-n', 'a'), batch('b2', 'a-n', 'a')], [batch('b3', 'b-n', 'b'), batch('b4', 'b-n', 'b')])
  const plan = schedule(s, live())
  assert.equal(plan.unplaced, 0)
  assert.equal(plan.preempt.length, 1)
  assert.deepEqual(plan.place, [{ node: plan.preempt[0].forNode, site: plan.preempt[0].site, after: [plan.preempt[0].victim] }])
  assert.equal(plan.preempt[0].victimApp, 'default/batch')
  assert.match(plan.message, /^1\/1 replicas placed on 1 site; preempting 1 lower-priority instance$/)
})

test('preemption: the fewest victims: one big instance rather than two small ones', () => {
  const s = full(
    [batch('small1', 'a-n', 'a', { request: cpu(250) }), batch('small2', 'a-n', 'a', { request: cpu(250) }), batch('small3', 'a-n', 'a', { request: cpu(250) }), batch('small4', 'a-n', 'a', { request: cpu(250) })],
    [batch('big', 'b-n', 'b', { request: cpu(1000) })],
  )
  const plan = schedule(s, live())
  assert.deepEqual(plan.preempt.map((p) => p.victim), ['big'])
})

test('preemption: within a node, one victim that suffices rather than sparing it for two', () => {
  const s = snap([site('a')], [node('a-n', 'a', { cpu: 1000 })], [
    batch('small-ready', 'a-n', 'a', { request: cpu(250) }), batch('small-unready', 'a-n', 'a', { request: cpu(250), ready: false }), batch('big', 'a-n', 'a'),
  ])
  assert.deepEqual(schedule(s, live()).preempt.map((p) => p.victim), ['big'])
})

test('preemption: among equal counts, not ready first, then the lowest priority, then the youngest', () => {
  const notReady = schedule(full([batch('ready', 'a-n', 'a'), batch('x', 'a-n', 'a')], [batch('unready', 'b-n', 'b', { ready: false }), batch('y', 'b-n', 'b')]), live())
  assert.deepEqual(notReady.preempt.map((p) => p.victim), ['unready'])
  const lowest = schedule(full([batch('p5', 'a-n', 'a', { priority: 5 }), batch('p5b', 'a-n', 'a', { priority: 5 })], [batch('p1', 'b-n', 'b', { priority: 1 }), batch('p3', 'b-n', 'b', { priority: 3 })]), live())
  assert.deepEqual(lowest.preempt.map((p) => p.victim), ['p1'])
  const youngest = schedule(full([batch('old', 'a-n', 'a', { createdAt: 1 }), batch('older', 'a-n', 'a', { createdAt: 0 })], [batch('young', 'b-n', 'b', { createdAt: 9 }), batch('mid', 'b-n', 'b', { createdAt: 5 })]), live())
  assert.deepEqual(youngest.preempt.map((p) => p.victim), ['young'])
})

test('preemption: only strictly lower priorities, never the app itself', () => {
  const equal = schedule(full([batch('b1', 'a-n', 'a', { priority: 10 }), batch('b2', 'a-n', 'a', { priority: 10 })], [batch('b3', 'b-n', 'b', { priority: 20 }), batch('b4', 'b-n', 'b', { priority: 10 })]), live())
  assert.deepEqual([equal.preempt, equal.place, equal.unplaced], [[], [], 1])
  const own = schedule(full([inst('live-old', 'a-n', 'a', { app: 'default/live', revision: 'r0', request: cpu(1000) })], [inst('z', 'b-n', 'b', { app: 'default/z', priority: 99, request: cpu(1000) })]), live())
  assert.deepEqual(own.preempt, [])
})

test('preemption: off for callers that do not pass their preemption history', () => {
  const s = full([batch('b1', 'a-n', 'a'), batch('b2', 'a-n', 'a')], [batch('b3', 'b-n', 'b'), batch('b4', 'b-n', 'b')])
  const { recentPreemptions: _, ...legacy } = live()
  const plan = schedule(s, legacy)
  assert.deepEqual([plan.preempt, plan.place, plan.unplaced], [[], [], 1])
})

test('preemption: not while any site has room', () => {
  const s = snap([site('a'), site('b')], [node('a-n', 'a', { cpu: 1000 }), node('b-n', 'b', { cpu: 1000 })], [batch('b1', 'a-n', 'a'), batch('b2', 'a-n', 'a')])
  const plan = schedule(s, live({ replicas: 2 }))
  assert.deepEqual(plan.preempt, [])
  assert.deepEqual(plan.place, [{ node: 'b-n', site: 'b' }, { node: 'b-n', site: 'b' }])
})

test('preemption: the hourly budget limits victims; 0 turns it off', () => {
  const s = full([batch('b1', 'a-n', 'a'), batch('b2', 'a-n', 'a')], [batch('b3', 'b-n', 'b'), batch('b4', 'b-n', 'b')])
  const budget = { preemption: { maxPerHour: 3 } }
  assert.equal(schedule(s, live({ replicas: 4, placement: budget })).preempt.length, 3)
  const spent = schedule(s, live({ replicas: 4, placement: budget, recentPreemptions: 2 }))
  assert.equal(spent.preempt.length, 1)
  assert.equal(spent.unplaced, 3)
  assert.equal(schedule(s, live({ replicas: 4, placement: budget, recentPreemptions: 3 })).preempt.length, 0)
  assert.equal(schedule(s, live({ replicas: 4, placement: { preemption: { maxPerHour: 0 } } })).preempt.length, 0)
  // A node that would need more victims than the budget allows is skipped.
  const big = snap([site('a')], [node('a-n', 'a', { cpu: 1000 })], [batch('x1', 'a-n', 'a'), batch('x2', 'a-n', 'a')])
  assert.deepEqual(schedule(big, live({ cpu: '1', placement: { preemption: { maxPerHour: 1 } } })).preempt, [])
})

test('preemption: later placements on the same node wait for every victim there so far', () => {
  const s = snap([site('a')], [node('a-n', 'a', { cpu: 1000 })], [batch('b1', 'a-n', 'a', { createdAt: 1 }), batch('b2', 'a-n', 'a', { createdAt: 2 })])
  const plan = schedule(s, live({ replicas: 2 }))
  assert.deepEqual(plan.preempt.map((p) => p.victim), ['b2', 'b1'], 'the youngest first')
  assert.deepEqual(plan.place.map((p) => p.after), [['b2'], ['b1', 'b2']])
})

test('preemption: respects the placement rules and maxPerSite', () => {
  const s = snap([site('a', { region: 'us' }), site('b')], [node('a-n', 'a', { cpu: 1000 }), node('b-n', 'b', { cpu: 1000 })], [batch('b1', 'a-n', 'a'), batch('b2', 'a-n', 'a'), batch('b3', 'b-n', 'b'), batch('b4', 'b-n', 'b')])
  const plan = schedule(s, live({ replicas: 3, placement: { regions: ['eu'], maxPerSite: 1 } }))
  assert.deepEqual(plan.place.map((p) => p.site), ['b'])
  assert.equal(plan.unplaced, 2)
})

test('preemption: applying the plan never overcommits a node', () => {
  const s = full([batch('b1', 'a-n', 'a', { request: cpu(300) }), batch('b2', 'a-n', 'a', { request: cpu(700) })], [batch('b3', 'b-n', 'b', { request: cpu(600) }), batch('b4', 'b-n', 'b', { request: cpu(400) })])
  const h = new Harness(s)
  const r = live({ replicas: 3, cpu: '400m' })
  const plan = h.step(r)
  assert.equal(plan.unplaced, 0)
  for (const n of h.snapshot.nodes) {
    const used = h.snapshot.instances.filter((i) => i.node === n.name).reduce((x, i) => x + i.request.cpu, 0)
    assert.ok(used <= n.allocatable.cpu, `${n.name}: ${used}`)
  }
})
