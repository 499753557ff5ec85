// Failover: replicas on a site (or node) NotReady for longer than failover.afterSeconds stop
// counting and are replaced on the next-best sites; the old ones are reported as lost, never
// removed while unreachable. A site that comes back takes no new replicas until it has been Ready
// for returnAfterSeconds; its instances are trusted (so replacements elsewhere stop) only then.
// Pinned apps keep their replicas through a partition. Without `now` nothing fails over.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { REASON } from '../../src/scheduler/feasibility.js'
import { Harness, fleet, inst, node, perSite, req, site, snap } from './harness.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'

const S = 1000
const T0 = 1_700_000_000_000

/** Three single-node sites holding one ready replica each (web-0000 on s0, …), at T0. */
function three(placement?: PlacementSpec): Harness {
  const h = new Harness(fleet(3, 1))
  h.step(req({ replicas: 3, now: T0, placement }), { ready: true })
  assert.deepEqual(h.count(), { s0: 1, s1: 1, s2: 1 })
  return h
}

function down(h: Harness, site: string, since: number): void {
  h.patchNode(`${site}-n0`, { ready: false, notReadySince: since, readySince: undefined })
  h.patchSite(site, { notReadySince: since, readySince: undefined })
}

function up(h: Harness, site: string, since: number): void {
  h.patchNode(`${site}-n0`, { ready: true, notReadySince: undefined, readySince: since })
  h.patchSite(site, { notReadySince: undefined, readySince: since })
}

const decision = (plan: { decisions: { site: string; reason: string }[] }, site: string) => plan.decisions.find((d) => d.site === site)!.reason

test('failover: before afterSeconds the replicas still count; the plan says when to look again', () => {
  const h = three()
  down(h, 's0', T0)
  const plan = h.run(req({ replicas: 3, now: T0 + 30 * S }))
  assert.deepEqual([plan.place, plan.remove, plan.lost], [[], [], []])
  assert.equal(decision(plan, 's0'), '1: kept: NotReady for 30s (failover after 60s)')
  assert.equal(plan.recheckAt, T0 + 60 * S)
})

test('failover: after afterSeconds they are lost (not counted, not removed) and replaced on the next-best site', () => {
  const h = three()
  down(h, 's0', T0)
  const plan = h.step(req({ replicas: 3, now: T0 + 95 * S }))
  assert.deepEqual(plan.lost, ['web-0000'])
  assert.deepEqual(plan.remove, [])
  assert.deepEqual(perSite(plan), { s1: 1 })
  assert.equal(decision(plan, 's0'), '0: failed over (NotReady 95s); 1 lost on failed nodes (not counted, not removed)')
  assert.equal(plan.message, '3/3 replicas placed on 2 sites; 1 lost on failed-over nodes')
  assert.equal(plan.unplaced, 0)
  assert.equal(plan.recheckAt, undefined)
  // The failed site takes nothing new, with its reason counted when short.
  const short = h.run(req({ replicas: 9, cpu: '2', now: T0 + 96 * S }))
  assert.equal(short.reasons[REASON.failedOver], 1)
})

test('failover: afterSeconds comes from the app', () => {
  const h = three({ failover: { afterSeconds: 10 } })
  down(h, 's0', T0)
  assert.deepEqual(h.run(req({ replicas: 3, now: T0 + 11 * S, placement: { failover: { afterSeconds: 10 } } })).lost, ['web-0000'])
  assert.deepEqual(h.run(req({ replicas: 3, now: T0 + 9 * S, placement: { failover: { afterSeconds: 10 } } })).lost, [])
})

test('failover: one failed node of a site; its replica is replaced, possibly in the same site', () => {
  const s = snap([site('a'), site('b')], [node('a0', 'a'), node('a1', 'a'), node('b0', 'b')], [inst('w0', 'a0', 'a', { ready: true }), inst('w1', 'b0', 'b', { ready: true })])
  const h = new Harness(s)
  h.patchNode('a0', { ready: false, notReadySince: T0 })
  const plan = h.run(req({ replicas: 2, now: T0 + 61 * S }))
  assert.deepEqual(plan.lost, ['w0'])
  assert.deepEqual(plan.place, [{ node: 'a1', site: 'a' }])
})

test('failover: a site whose nodes carry no times fails over on the site\'s own notReadySince', () => {
  const s = fleet(2, 1)
  s.instances = [inst('w0', 's0-n0', 's0', { ready: true }), inst('w1', 's1-n0', 's1', { ready: true })]
  const h = new Harness(s)
  h.patchNode('s0-n0', { ready: false })
  h.patchSite('s0', { notReadySince: T0 })
  assert.deepEqual(h.run(req({ replicas: 2, now: T0 + 61 * S })).lost, ['w0'])
  // Without a time anywhere there is no failover at all (the site might be back any second).
  h.patchSite('s0', { notReadySince: undefined })
  assert.deepEqual(h.run(req({ replicas: 2, now: T0 + 61 * S })).lost, [])
})

test('failover: without `now` nothing fails over (the behaviour before failover)', () => {
  const h = three()
  down(h, 's0', T0)
  const plan = h.run(req({ replicas: 3 }))
  assert.deepEqual([plan.lost, plan.place, plan.remove], [[], [], []])
  assert.equal(plan.recheckAt, undefined)
})

test('failover: pinned apps keep their replicas through a partition, with no replacement', () => {
  const placement: PlacementSpec = { failover: { pinned: true } }
  const h = three(placement)
  down(h, 's0', T0)
  const plan = h.run(req({ replicas: 3, now: T0 + 600 * S, placement }))
  assert.deepEqual([plan.lost, plan.place, plan.remove], [[], [], []])
  assert.equal(decision(plan, 's0'), '1: pinned: kept through NotReady 600s')
  assert.equal(plan.recheckAt, undefined)
})

test('return: a recovered site takes no new replicas during its dwell, and says how long is left', () => {
  const h = new Harness(fleet(2, 1))
  up(h, 's0', T0)
  const plan = h.run(req({ replicas: 2, now: T0 + 40 * S }))
  assert.deepEqual(perSite(plan), { s1: 2 })
  assert.equal(decision(plan, 's0'), '0: returning, ready for 40s of 120s')
  assert.equal(plan.recheckAt, undefined, 'fixed spread never moves replicas back, so the dwell ending changes nothing')
  const target = h.run(req({ replicas: 2, now: T0 + 40 * S, placement: { division: { mode: 'capacity' } } }))
  assert.equal(target.recheckAt, T0 + 120 * S, 'a target mode may move replicas to it then')
  const later = h.run(req({ replicas: 2, now: T0 + 121 * S }))
  assert.deepEqual(perSite(later), { s0: 1, s1: 1 })
  // Too small to hold them: the reason says why.
  const short = h.run(req({ replicas: 9, cpu: '2', now: T0 + 40 * S }))
  assert.equal(short.reasons[REASON.returning], 1)
})

test('return: replicas come back without a gap; replacements stop only after the returned ones are ready and trusted', () => {
  const h = three()
  down(h, 's0', T0)
  h.step(req({ replicas: 3, now: T0 + 70 * S }), { ready: true }) // replacement web-0003 on s1
  assert.deepEqual(h.count(), { s0: 1, s1: 2, s2: 1 })
  // s0 comes back at T0+200s: its instance counts again, but is not trusted during the dwell.
  up(h, 's0', T0 + 200 * S)
  h.setReady(false, (i) => i.site === 's0') // still restarting
  const dwell = h.step(req({ replicas: 3, now: T0 + 210 * S }))
  assert.deepEqual([dwell.place, dwell.remove, dwell.lost], [[], [], []])
  assert.deepEqual(dwell.surplus, ['web-0003'], 'the replacement stays, marked surplus')
  assert.match(decision(dwell, 's0'), /^1: returning, ready for 10s of 120s \(its replicas are not trusted yet\)/)
  assert.equal(dwell.recheckAt, T0 + 320 * S)
  // Ready, but still within the dwell: nothing changes.
  h.setReady(true)
  const ready = h.step(req({ replicas: 3, now: T0 + 300 * S }))
  assert.deepEqual([ready.remove, ready.surplus], [[], ['web-0003']])
  // After the dwell: the surplus goes, and the app is back where it was.
  const back = h.step(req({ replicas: 3, now: T0 + 321 * S }))
  assert.deepEqual([back.remove, back.surplus], [['web-0003'], []])
  assert.deepEqual(h.count(), { s0: 1, s1: 1, s2: 1 })
})

test('no flapping: a site that goes down and up repeatedly causes one replacement and one removal at most', () => {
  const h = three()
  const events: [number, 'down' | 'up'][] = [[10, 'down'], [40, 'up'], [50, 'down'], [150, 'up'], [180, 'down'], [200, 'up'], [260, 'down'], [270, 'up']]
  let placed = 0
  let removed = 0
  let minTrusted = Infinity
  for (let t = 0; t <= 600; t += 5) {
    for (const [at, what] of events) if (at === t) (what === 'down' ? down : up)(h, 's0', T0 + t * S)
    h.setReady(true, (i) => i.site !== 's0' || h.snapshot.nodes.find((n) => n.name === 's0-n0')!.ready)
    const plan = h.step(req({ replicas: 3, now: T0 + t * S }), { ready: false })
    placed += plan.place.length
    removed += plan.remove.length
    // Ready instances on Ready nodes outside any dwell, and not removed: never fewer than wanted once converged.
    const trusted = h.snapshot.instances.filter((i) => i.ready && h.snapshot.nodes.find((n) => n.name === i.node)!.ready).length
    if (t > 5) minTrusted = Math.min(minTrusted, trusted)
  }
  assert.equal(placed, 1, 'one replacement when s0 stayed down past afterSeconds')
  assert.equal(removed, 1, 'one removal once s0 was back for good')
  assert.deepEqual(h.count(), { s0: 1, s1: 1, s2: 1 })
  assert.ok(minTrusted >= 2, `ready replicas dipped to ${minTrusted}`)
})

test('gate: given `now`, surplus that is the only ready capacity stays until others are ready', () => {
  const s = fleet(2, 1)
  s.instances = [inst('a', 's0-n0', 's0', { ready: true }), inst('b', 's0-n0', 's0', { ready: false }), inst('c', 's1-n0', 's1', { ready: false })]
  const h = new Harness(s)
  // Scale to 1: not-ready ones go at once, the ready one stays.
  const plan = h.run(req({ replicas: 1, now: T0 }))
  assert.deepEqual(plan.remove, ['b', 'c'])
  assert.deepEqual(plan.surplus, [])
  // Scale 3 → 2 where the one to go is the only ready one of its site, and the rest are not ready.
  const s2 = fleet(2, 1)
  s2.instances = [inst('a', 's0-n0', 's0', { ready: true }), inst('b', 's0-n0', 's0', { ready: true }), inst('c', 's1-n0', 's1', { ready: false })]
  const held = new Harness(s2).run(req({ replicas: 2, now: T0 }))
  assert.deepEqual([held.remove, held.surplus], [[], ['b']])
  assert.equal(held.message, '2/2 replicas placed on 2 sites; 1 surplus until replacements are ready')
  // Without `now`, surplus goes at once (as before).
  assert.deepEqual(new Harness(s2).run(req({ replicas: 2 })).remove, ['b'])
})
