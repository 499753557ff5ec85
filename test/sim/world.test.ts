// The simulator's world and its shared timer: deterministic from the seed, and cheap.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CITIES, generateSites, siteBlock } from '../../src/sim/world.js'
import { rngFor, sample } from '../../src/lib/rng.js'
import { Ticker } from '../../src/sim/ticker.js'

test('world: the same seed gives the same sites; another seed another world', () => {
  const a = generateSites(200, 7, 2)
  assert.deepEqual(generateSites(200, 7, 2), a)
  assert.notDeepEqual(generateSites(200, 8, 2).map((s) => s.registration), a.map((s) => s.registration))
  // A larger world starts with the smaller one: site i depends only on the seed and i.
  assert.deepEqual(generateSites(50, 7, 2), a.slice(0, 50))
})

test('world: sites are real places with regions, providers, tiers, own loopback blocks and unique names', () => {
  const sites = generateSites(1000, 'seed', 3)
  const names = new Set(sites.map((s) => s.registration.name))
  assert.equal(names.size, 1000)
  const regions = new Set(sites.map((s) => s.registration.region))
  const providers = new Set(sites.map((s) => s.registration.provider))
  assert.ok(regions.size >= 10, `${regions.size} regions`)
  assert.ok(providers.size >= 4)
  assert.ok(sites.some((s) => s.registration.tier === 'central') && sites.some((s) => s.registration.tier === 'edge'))
  for (const s of sites) {
    const city = CITIES.find((c) => c.name === s.city)!
    assert.equal(s.registration.region, city.region)
    assert.ok(Math.abs(s.registration.geo!.lat - city.lat) < 1, `${s.registration.name} lies near ${city.name}`)
    assert.match(s.registration.name, /^[a-z0-9-]+$/)
    assert.equal(s.nodes.length, 3)
    assert.equal(s.gateway, `${siteBlock(s.index)}.1:8080`)
    for (const n of s.nodes) assert.ok(n.address.startsWith(`${siteBlock(s.index)}.`))
  }
  assert.equal(new Set(sites.flatMap((s) => s.nodes.map((n) => n.address))).size, 3000)
  // Weighted by population: Tokyo is picked far more often than Oslo.
  const count = (c: string) => sites.filter((s) => s.city === c).length
  assert.ok(count('tokyo') > count('oslo'))
})

test('rng: sample is deterministic and distinct', () => {
  const pool = Array.from({ length: 100 }, (_, i) => i)
  const a = sample(pool, 10, rngFor(1, 'x'))
  assert.deepEqual(sample(pool, 10, rngFor(1, 'x')), a)
  assert.equal(new Set(a).size, 10)
})

test('ticker: timers fire in due order at slot granularity, never early, and cancel', async () => {
  const ticker = new Ticker(10)
  const fired: string[] = []
  const t0 = Date.now()
  const at: Record<string, number> = {}
  const mark = (k: string) => () => { fired.push(k); at[k] = Date.now() - t0 }
  ticker.setTimeout(mark('c'), 60)
  ticker.setTimeout(mark('a'), 0)
  ticker.setTimeout(mark('b'), 30)
  ticker.setTimeout(mark('x'), 40).cancel()
  assert.equal(ticker.size, 3)
  await new Promise((r) => setTimeout(r, 150))
  assert.deepEqual(fired, ['a', 'b', 'c'])
  assert.ok(at.b >= 30 && at.c >= 60, JSON.stringify(at))
  assert.equal(ticker.size, 0)
  ticker.stop()
})
