// The app controller with image distribution (an in-memory double of the server's): a rollout to a
// revision with an image asks the canary to fetch it and creates nothing there until it is present;
// the status carries each site's image state and the app's Events say what happened; a failed fetch
// is a Warning with the reason and no instance; the wish ends with the rollout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Instance } from '../../src/api/kinds/index.js'
import { AppController } from '../../src/controllers/app-controller.js'
import type { ImageAvailability, ImagePresence } from '../../src/controllers/rollout/predistribution.js'
import { templateRevision } from '../../src/api/revision.js'
import { appObj, eventsOf, fleet, log, markReady, nodeObj, settle, siteObj, template } from './helpers.js'

const IMG = 'registry.test:5000/demo/web@sha256:' + 'c'.repeat(64)

class Images implements ImageAvailability {
  states = new Map<string, ImagePresence>()
  wanted = new Map<string, ReadonlyMap<string, readonly string[]>>()
  private fns: ((site: string, image: string) => void)[] = []
  state(site: string, image: string) { return [...this.wanted.values()].some((m) => m.get(site)?.includes(image)) ? this.states.get(site) ?? { state: 'pulling' as const } : undefined }
  want(owner: string, perSite: ReadonlyMap<string, readonly string[]>) { if (perSite.size) this.wanted.set(owner, perSite); else this.wanted.delete(owner) }
  onChange(fn: (site: string, image: string) => void) { this.fns.push(fn) }
  set(site: string, st: ImagePresence) { this.states.set(site, st); for (const f of this.fns) f(site, IMG) }
}

test('app controller: a wave starts at a site only once it holds the image; status and events tell', async (t) => {
  const f = await fleet(t)
  for (const s of ['s0', 's1']) { await f.store.create(siteObj(s)); await f.store.create(nodeObj(`${s}-n0`, s)) }
  const images = new Images()
  const c = new AppController({ store: f.store, clock: f.clock, log, events: f.events, apps: f.apps, sites: f.sites, nodes: f.nodes, instances: f.instances, images })
  c.start()
  t.after(() => c.stop())
  const done = () => settle(f.store, [c.queue])
  const app = async () => (await f.store.get<App>('App', 'default', 'web'))!
  const mine = async () => (await f.store.list<Instance>('Instance')).items
  await f.store.create(appObj('web', { replicas: 2, rollout: { waves: [100], soakSeconds: 10 } as never }))
  await done()
  for (const i of await mine()) await markReady(f.store, i)
  await done()
  assert.deepEqual([...images.wanted.keys()], [], 'a first deployment (no image here) asks nothing')

  // A new revision with an image (the container template's field).
  const next = { ...template({ command: 'web2' }), image: IMG } as never
  const rev2 = templateRevision(next)
  const cur = await app()
  await f.store.update({ ...cur, spec: { ...cur.spec, template: next } })
  await done()
  assert.deepEqual([...images.wanted.get('default/web')!.keys()], ['s0'], 'the canary is asked for the image')
  assert.equal((await mine()).filter((i) => i.spec.revision === rev2).length, 0, 'nothing starts before the image is there')
  let site = (await app()).status!.rollout!.waves[0].sites[0]
  assert.deepEqual([site.state, site.image], ['Pending', { state: 'pulling' }])
  assert.ok((await eventsOf(f.store, 'web')).some((e) => e.reason === 'ImagePulling' && e.message.includes(IMG)))

  images.set('s0', { state: 'failed', message: 'manifest unknown (attempt 1; retrying in 5s)' })
  await done()
  site = (await app()).status!.rollout!.waves[0].sites[0]
  assert.deepEqual(site.image, { state: 'failed', message: 'manifest unknown (attempt 1; retrying in 5s)' })
  assert.match(site.message!, /waiting for the image: failed/)
  const warn = (await eventsOf(f.store, 'web')).find((e) => e.reason === 'ImagePullFailed')
  assert.equal(warn?.type, 'Warning')
  assert.match(warn!.message, /s0: manifest unknown/)
  assert.equal((await mine()).filter((i) => i.spec.revision === rev2).length, 0)

  images.set('s0', { state: 'present' })
  await done()
  const canary = (await mine()).filter((i) => i.spec.revision === rev2)
  assert.deepEqual(canary.map((i) => i.spec.site), ['s0'], 'present: the canary starts')
  await markReady(f.store, canary[0])
  await done()
  assert.deepEqual([...images.wanted.get('default/web')!.keys()].sort(), ['s0', 's1'], 'the canary soaks: the next wave fetches')
  images.set('s1', { state: 'present' })
  f.clock.advance(10_000)
  await done()
  for (const i of (await mine()).filter((x) => x.spec.revision === rev2 && !x.status?.ready)) await markReady(f.store, i)
  await done()
  f.clock.advance(10_000)
  await done()
  assert.equal((await app()).status!.rollout!.phase, 'Succeeded')
  assert.equal(images.wanted.size, 0, 'the rollout ended: nothing more to fetch')
})
