// The rollout step, pure and driven by an explicit clock: wave order, concurrency, soak, gates
// (crash loop, ready deadline, error rate), pause and resume, rollback, offline sites.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RolloutStatus } from '../../src/api/kinds/index.js'
import { advanceRollout, defaultStrategy, type RolloutInput, type SiteObservation } from '../../src/controllers/rollout/progress.js'
import { planWaves } from '../../src/controllers/rollout/waves.js'

const OLD = 'r0', NEW = 'r1'
const T0 = Date.UTC(2026, 0, 1)

/** n sites a, b, c…, each wanting 2 instances, all on the old revision and ready. */
function sites(n: number, labels: (i: number) => Record<string, string> = () => ({})): SiteObservation[] {
  return Array.from({ length: n }, (_, i) => ({
    site: String.fromCharCode(97 + i), labels: labels(i), online: true, desired: 2,
    instances: [{ revision: OLD, ready: true, restarts: 0 }, { revision: OLD, ready: true, restarts: 0 }],
  }))
}

function input(s: SiteObservation[], now: number, over: Partial<RolloutInput> = {}, rollout = {}): RolloutInput {
  return { revision: NEW, lastGood: OLD, strategy: defaultStrategy({ waves: [50, 100], soakSeconds: 30, maxConcurrentSites: 1, ...rollout } as never), paused: false, sites: s, now, ...over }
}

/** The fleet obeys the targets: every targeted site runs that revision, ready (or as told). */
function converge(s: SiteObservation[], targets: Map<string, string>, ready = true, restarts = 0): void {
  for (const o of s) {
    const t = targets.get(o.site)
    if (t) o.instances = o.instances.map(() => ({ revision: t, ready, restarts: t === NEW ? restarts : 0 }))
  }
}

const states = (st: RolloutStatus) => st.waves.map((w) => `${w.name}:${w.sites.map((x) => `${x.site}=${x.state}`).join(',')}`).join(' | ')

test('waves: canary by name or label, then cumulative percentages; a last wave always reaches 100%', () => {
  const refs = ['e', 'a', 'c', 'b', 'd'].map((name) => ({ name, labels: (name === 'd' ? { canary: 'yes' } : {}) as Record<string, string> }))
  assert.deepEqual(planWaves(refs, { waves: [40] }), [{ name: 'canary', sites: ['a'] }, { name: '40%', sites: ['b'] }, { name: '100%', sites: ['c', 'd', 'e'] }])
  assert.deepEqual(planWaves(refs, { waves: [100], canary: { selector: { matchLabels: { canary: 'yes' } } } }).map((w) => w.sites), [['d'], ['a', 'b', 'c', 'e']])
  assert.deepEqual(planWaves(refs, { waves: [100], canary: { sites: ['e', 'c'] } })[0].sites, ['c', 'e'])
  assert.deepEqual(planWaves([{ name: 'solo', labels: {} }], { waves: [100] }), [{ name: 'canary', sites: ['solo'] }])
})

test('rollout: waves go in order, one site at a time, each soaked before the next', () => {
  const s = sites(4)
  let now = T0
  let step = advanceRollout(undefined, input(s, now))
  assert.equal(step.status.phase, 'Progressing')
  assert.equal(states(step.status), 'canary:a=Updating | 50%:b=Pending | 100%:c=Pending,d=Pending')
  assert.deepEqual([...step.targets], [['a', NEW]], 'only the canary is driven to the new revision')
  assert.equal(step.events[0].reason, 'RolloutStarted')

  converge(s, step.targets)
  now += 1000
  step = advanceRollout(step.status, input(s, now))
  assert.equal(states(step.status), 'canary:a=Soaking | 50%:b=Pending | 100%:c=Pending,d=Pending')
  assert.equal(step.recheckMs, 30_000, 'look again when the soak ends')

  now += 30_000
  step = advanceRollout(step.status, input(s, now))
  assert.equal(states(step.status), 'canary:a=Done | 50%:b=Updating | 100%:c=Pending,d=Pending')
  assert.ok(step.events.some((e) => e.reason === 'WaveCompleted'))
  converge(s, step.targets)
  step = advanceRollout(step.status, input(s, now))
  now += 30_000
  step = advanceRollout(step.status, input(s, now))
  assert.equal(states(step.status), 'canary:a=Done | 50%:b=Done | 100%:c=Updating,d=Pending', 'maxConcurrentSites 1')
  const events: string[] = []
  let lastGood: string | undefined
  for (let i = 0; i < 4 && step.status.phase !== 'Succeeded'; i++) {
    converge(s, step.targets)
    now += 30_000
    for (const when of [now, now + 30_000]) {
      step = advanceRollout(step.status, input(s, when))
      events.push(...step.events.map((e) => e.reason))
      lastGood ??= step.lastGood
    }
    now += 30_000
  }
  assert.equal(step.status.phase, 'Succeeded')
  assert.equal(lastGood, NEW, 'the step that finishes names the new last good revision')
  assert.ok(events.includes('RolloutSucceeded'))
  assert.deepEqual([...step.targets.values()], [NEW, NEW, NEW, NEW])

  // Once the controller records the new last good revision, the finished rollout keeps its waves
  // (`rollout status` shows how it went, however late it looks).
  const done = structuredClone(step.status)
  const after = advanceRollout(step.status, input(s, now + 60_000, { lastGood: NEW }))
  assert.deepEqual(after.status, done)
  assert.deepEqual(after.events, [])
  assert.deepEqual([...after.targets.values()], [NEW, NEW, NEW, NEW])
})

test('rollout: a crash loop in the canary rolls back to the last good revision, with the reason', () => {
  const s = sites(3)
  let step = advanceRollout(undefined, input(s, T0))
  converge(s, step.targets, false, 3)
  step = advanceRollout(step.status, input(s, T0 + 5000))
  assert.equal(step.status.phase, 'RolledBack')
  assert.match(step.status.message!, /wave canary failed the health gate: a: an updated instance restarted 3 times \(limit 2\): crash loop; rolled back to revision r0/)
  assert.deepEqual([...step.targets.values()], [OLD, OLD, OLD], 'every site goes back to the last good revision')
  assert.equal(step.events.find((e) => e.reason === 'RolloutRolledBack')?.type, 'Warning')
  assert.equal(step.lastGood, undefined, 'the failed revision is not good')
  // It stays rolled back; nothing more happens until the template changes.
  const again = advanceRollout(step.status, input(s, T0 + 60_000))
  assert.equal(again.status.phase, 'RolledBack')
  assert.equal(again.events.length, 0)
})

test('rollout: failing probes (not ready by the deadline) fail the gate; without autoRollback it stops', () => {
  const s = sites(2)
  const opts = { gate: { maxRestarts: 2, readyTimeoutSeconds: 60, maxErrorRate: 0.05 }, autoRollback: false }
  let step = advanceRollout(undefined, input(s, T0, {}, opts))
  converge(s, step.targets, false)
  step = advanceRollout(step.status, input(s, T0 + 59_000, {}, opts))
  assert.equal(step.status.phase, 'Progressing', 'still within the deadline')
  step = advanceRollout(step.status, input(s, T0 + 61_000, {}, opts))
  assert.equal(step.status.phase, 'Failed')
  assert.match(step.status.message!, /not fully updated and ready within 60s \(2 updated instance\(s\) not ready/)
  assert.deepEqual([...step.targets], [['a', NEW]], 'the failed site stays as it is; the others keep their revision')
})

test('rollout: a high error rate reported by the gateway fails the gate', () => {
  const s = sites(2)
  let step = advanceRollout(undefined, input(s, T0))
  converge(s, step.targets)
  s[0].errorRate = 0.2
  step = advanceRollout(step.status, input(s, T0 + 1000))
  assert.equal(step.status.phase, 'RolledBack')
  assert.match(step.status.message!, /error rate 20\.0% is above 5\.0%/)
})

test('rollout: pause holds the next sites; resume continues', () => {
  const s = sites(3)
  let step = advanceRollout(undefined, input(s, T0, { paused: true }))
  assert.equal(step.status.phase, 'Paused')
  assert.equal(states(step.status), 'canary:a=Pending | 50%:b=Pending | 100%:c=Pending')
  assert.equal(step.targets.size, 0, 'nothing is driven while paused')
  step = advanceRollout(step.status, input(s, T0 + 1000, { paused: false }))
  assert.equal(step.status.phase, 'Progressing')
  assert.equal(step.status.waves[0].sites[0].state, 'Updating')
  converge(s, step.targets)
  step = advanceRollout(step.status, input(s, T0 + 2000, { paused: true }))
  step = advanceRollout(step.status, input(s, T0 + 60_000, { paused: true }))
  assert.equal(states(step.status), 'canary:a=Done | 50%:b=Pending | 100%:c=Pending', 'a site under way finishes; no new one starts')
  assert.match(step.status.message!, /paused in wave 2\/3/)
})

test('rollout: offline sites are skipped (or fail the gate when the policy says so)', () => {
  const s = sites(3)
  s[1].online = false
  let step = advanceRollout(undefined, input(s, T0, {}, { maxConcurrentSites: 5, soakSeconds: 0 }))
  converge(s, step.targets)
  for (let i = 0; i < 5; i++) { step = advanceRollout(step.status, input(s, T0 + i * 1000, {}, { maxConcurrentSites: 5, soakSeconds: 0 })); converge(s, step.targets) }
  assert.equal(step.status.phase, 'Succeeded')
  assert.equal(step.status.waves[1].sites[0].state, 'Skipped')
  assert.equal(step.targets.get('b'), NEW, 'a skipped site converges when it returns')

  const f = sites(3)
  f[0].online = false
  const failed = advanceRollout(undefined, input(f, T0, {}, { offlineSites: 'fail' }))
  assert.equal(failed.status.phase, 'RolledBack')
  assert.match(failed.status.message!, /a: site is offline/)
})

test('rollout: a first deployment and a return to the last good revision go everywhere at once', () => {
  const s = sites(3)
  const first = advanceRollout(undefined, input(s, T0, { lastGood: undefined }))
  assert.deepEqual([...first.targets.values()], [NEW, NEW, NEW])
  converge(s, first.targets)
  const done = advanceRollout(first.status, input(s, T0 + 1000, { lastGood: undefined }))
  assert.equal(done.status.phase, 'Succeeded')
  assert.equal(done.lastGood, NEW)
  const back = advanceRollout(undefined, input(sites(2), T0, { revision: OLD, lastGood: OLD }))
  assert.deepEqual([...back.targets.values()], [OLD, OLD])
})
