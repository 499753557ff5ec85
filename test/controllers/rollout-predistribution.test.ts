// Pre-distribution as a state machine on an explicit clock: the canary fetches first and starts only
// with the image on site; the next wave is asked while the current one soaks; a failed fetch is a
// status and an event (the site waits, nothing restarts, the ready deadline does not fail it); the
// wishes end with the rollout. The image side is an in-memory double of the server's distribution.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { RolloutStatus } from '../../src/api/kinds/index.js'
import { advanceRollout, defaultStrategy, type SiteObservation } from '../../src/controllers/rollout/progress.js'
import { observeImages, predistribute, prepullSites, templateImage, type ImageAvailability, type ImagePresence } from '../../src/controllers/rollout/predistribution.js'
import { ManualClock } from '../../src/lib/clock.js'

const OLD = 'r0', NEW = 'r1', IMAGE = 'registry.test:5000/demo/app@sha256:' + 'a'.repeat(64)

class Images implements ImageAvailability {
  states = new Map<string, ImagePresence>()
  wanted = new Map<string, ReadonlyMap<string, readonly string[]>>()
  state(site: string, image: string) { return image === IMAGE && this.asked().includes(site) ? this.states.get(site) ?? { state: 'pulling' as const } : undefined }
  want(owner: string, perSite: ReadonlyMap<string, readonly string[]>) { if (perSite.size) this.wanted.set(owner, perSite); else this.wanted.delete(owner) }
  onChange() {}
  asked(): string[] { return [...(this.wanted.get('default/app')?.keys() ?? [])].sort() }
}

function fleet(): SiteObservation[] {
  return ['a', 'b', 'c', 'd'].map((site) => ({ site, labels: {}, online: true, desired: 1, instances: [{ revision: OLD, ready: true, restarts: 0 }] }))
}

const states = (st: RolloutStatus) => st.waves.map((w) => w.sites.map((x) => `${x.site}=${x.state}${x.image ? `/${x.image.state}` : ''}`).join(',')).join(' | ')

test('pre-distribution: the next wave fetches while the current one soaks; a site starts only with the image', () => {
  const clock = new ManualClock()
  const images = new Images()
  const sites = fleet()
  const strategy = defaultStrategy({ waves: [50, 100], soakSeconds: 30, maxConcurrentSites: 10, gate: { readyTimeoutSeconds: 60 } } as never)
  let status: RolloutStatus | undefined
  let events: string[] = []
  let targets = new Map<string, string>()
  const tick = () => {
    const input = { revision: NEW, lastGood: OLD, strategy, paused: false, now: clock.now(), sites: observeImages(sites, images, IMAGE) }
    const step = advanceRollout(status, input)
    events = [...step.events, ...predistribute(images, 'default/app', status, step.status, IMAGE)].map((e) => `${e.reason}: ${e.message}`)
    status = step.status
    targets = step.targets
  }
  const converge = () => { for (const o of sites) if (targets.get(o.site) === NEW) o.instances = [{ revision: NEW, ready: true, restarts: 0 }] }

  // The canary is asked at once and waits for its image.
  tick()
  assert.equal(states(status!), 'a=Pending/pulling | b=Pending | c=Pending,d=Pending')
  assert.deepEqual(images.asked(), ['a'])
  assert.match(status!.waves[0].sites[0].message!, /^waiting for the image: pulling/)
  assert.ok(!targets.has('a'), 'a site without its image is not driven to the new revision')
  assert.ok(events.some((e) => e.startsWith('ImagePulling: 1 site(s) asked to fetch') && e.endsWith(': a')))

  clock.advance(5000)
  images.states.set('a', { state: 'present' })
  tick()
  assert.equal(states(status!), 'a=Updating/present | b=Pending | c=Pending,d=Pending')
  assert.equal(status!.waves[0].sites[0].message, undefined, 'the waiting message is gone once it starts')
  assert.ok(events.some((e) => e.startsWith('ImagePresent:')))
  assert.deepEqual(images.asked(), ['a'], 'the next wave is not asked while the canary still updates')

  // The canary soaks: the next wave (b) fetches meanwhile.
  converge()
  clock.advance(1000)
  tick()
  assert.equal(states(status!), 'a=Soaking/present | b=Pending/pulling | c=Pending,d=Pending')
  assert.deepEqual(images.asked(), ['a', 'b'])

  // b's fetch fails: a status and an event with the reason; b waits (it is never started).
  images.states.set('b', { state: 'failed', message: 'registry.test:5000: connection refused (attempt 1; retrying in 5s)' })
  tick()
  assert.ok(events.some((e) => e.startsWith('ImagePullFailed:') && e.includes('b: registry.test:5000: connection refused')))
  clock.advance(30_000)
  tick()
  assert.equal(states(status!), 'a=Done/present | b=Pending/failed | c=Pending,d=Pending')
  assert.equal(status!.phase, 'Progressing')
  assert.match(status!.waves[1].sites[0].message!, /waiting for the image: failed \(registry.test:5000: connection refused/)
  assert.ok(!targets.has('b'))
  // Past the ready deadline, still waiting: a missing image is not a crash loop nor a failed gate.
  clock.advance(10 * 60_000)
  tick()
  assert.equal(status!.phase, 'Progressing')
  assert.equal(status!.waves[1].sites[0].state, 'Pending')
  assert.deepEqual(events, [], 'nothing new to say while it keeps failing the same way')

  // The retry succeeds: b starts; once it soaks, the last wave fetches.
  images.states.set('b', { state: 'present' })
  tick()
  assert.equal(states(status!), 'a=Done/present | b=Updating/present | c=Pending,d=Pending')
  converge()
  tick()
  assert.deepEqual(images.asked(), ['a', 'b', 'c', 'd'])
  images.states.set('c', { state: 'present' })
  images.states.set('d', { state: 'present' })
  clock.advance(30_000)
  tick()
  assert.equal(states(status!), 'a=Done/present | b=Done/present | c=Updating/present,d=Updating/present')
  converge()
  tick()
  clock.advance(30_000)
  tick()
  assert.equal(status!.phase, 'Succeeded')
  assert.deepEqual(images.asked(), [], 'a finished rollout wants nothing fetched')
})

test('prepullSites: waves up to the current one, the next only while the current one soaks; none once ended', () => {
  const r = (wave: number, st: string[][], phase: RolloutStatus['phase'] = 'Progressing'): RolloutStatus => ({
    revision: NEW, phase, startedAt: '', wave, waves: st.map((w, i) => ({ name: `w${i}`, sites: w.map((x, j) => ({ site: `s${i}${j}`, state: x as never })) })),
  })
  assert.deepEqual(prepullSites(r(0, [['Updating'], ['Pending']])), ['s00'])
  assert.deepEqual(prepullSites(r(0, [['Soaking', 'Updating'], ['Pending']])), ['s00', 's01'])
  assert.deepEqual(prepullSites(r(0, [['Soaking', 'Skipped'], ['Pending', 'Pending']])), ['s00', 's01', 's10', 's11'])
  assert.deepEqual(prepullSites(r(1, [['Done'], ['Soaking']])), ['s00', 's10'])
  assert.deepEqual(prepullSites(r(0, [['Soaking'], ['Pending']], 'Paused')), ['s00', 's10'])
  assert.deepEqual(prepullSites(r(1, [['Done'], ['Done']], 'Succeeded')), [])
  assert.deepEqual(prepullSites(r(0, [['Failed'], ['Pending']], 'RolledBack')), [])
  assert.equal(templateImage({ command: 'x' }), undefined)
  assert.equal(templateImage({ image: IMAGE }), IMAGE)
})
