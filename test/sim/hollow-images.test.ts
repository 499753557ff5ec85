// Hollow sites answer the server's image distribution: each advertises a cache, the server builds
// the tree over them and asks in tree order, every site reports the image present, and only the root
// cache's copies come from the center (what bench/images/hollow.ts counts at fleet scale).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { App, Event } from '../../src/api/kinds/index.js'
import { simSetup, until } from './helpers.js'

const IMAGE = 'center.test:5000/demo/app@sha256:' + 'e'.repeat(64)

test('sim: hollow sites with caches fetch an image in tree order; the center sends it to the root cache only', async (t) => {
  const s = await simSetup(t, { sites: 60, runtime: { startDelayMs: 30, readyDelayMs: 30, registryCache: true, pullDelayMs: 20 } }, { centralRegistry: 'http://center.test:5000' })
  const sites = s.fleet.world.map((w) => w.registration)
  const central = sites.filter((x) => x.tier === 'central')
  assert.ok(central.length >= 1, 'the seed places central sites among 60')
  await until('every node told its tree', () => s.fleet.stats().connected === 60)
  s.srv.images.want('t/app', new Map(sites.map((x) => [x.name, [IMAGE]])))
  await until('present everywhere', () => sites.every((x) => s.srv.images.state(x.name, IMAGE)?.state === 'present'))
  assert.equal(s.fleet.counters.imagePulls, 60)
  assert.equal(s.fleet.counters.centerCopies, 2, 'the root cache alone fetched from the center (twice: distribution\'s proxy)')
})

test('sim: a rollout of a new image fetches it wave by wave through the server; status and events show it', async (t) => {
  const s = await simSetup(t, { sites: 6, runtime: { startDelayMs: 30, readyDelayMs: 30, registryCache: true, pullDelayMs: 50 } }, { centralRegistry: 'http://center.test:5000' })
  const template = (d: string) => ({ runtime: 'container', image: `center.test:5000/demo/web@sha256:${d.repeat(64)}`, stopGracePeriodSeconds: 1 })
  const get = async () => (await s.srv.store.get<App>('App', 'default', 'web'))!
  await s.srv.store.create({ apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 6, placement: { spread: { by: 'site' }, maxPerSite: 1 }, template: template('1'), rollout: { waves: [50, 100], soakSeconds: 0, maxConcurrentSites: 6 } } } as never)
  await until('first deployment', async () => (await get()).status?.lastGoodRevision !== undefined)
  const cur = await get()
  await s.srv.store.update({ ...cur, spec: { ...cur.spec, template: template('2') } } as never)
  await until('the new image rolled out', async () => { const r = (await get()).status?.rollout; return r?.revision !== cur.status?.rollout?.revision && r?.phase === 'Succeeded' })
  const waves = (await get()).status!.rollout!.waves
  assert.ok(waves.length >= 2)
  for (const w of waves) for (const x of w.sites) assert.deepEqual(x.image, { state: 'present' }, `${x.site} holds the image`)
  const { items } = await s.srv.store.list<Event>('Event')
  assert.ok(items.some((e) => e.reason === 'ImagePulling'))
  assert.ok(items.some((e) => e.reason === 'ImagePresent'))
})
