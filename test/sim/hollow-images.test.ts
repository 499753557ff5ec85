// Hollow sites answer the server's image distribution: each advertises a cache, the server builds
// the tree over them and asks in tree order, every site reports the image present, and only the root
// cache's copies come from the center (what bench/images/hollow.ts counts at fleet scale).
import { test } from 'node:test'
import assert from 'node:assert/strict'
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
