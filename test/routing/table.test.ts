// The routing table rebuilds when what it is built from changes, and only then: a placed instance
// that is not ready yet (10,000 of them when an app goes to every site) changes no answer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LinkStats } from '../../src/controllers/node-lifecycle.js'
import { RoutingTable, type LinkSource } from '../../src/routing/table.js'
import type { GeoLocator } from '../../src/routing/types.js'
import { appObj, fleet, instanceObj, markReady, nodeObj, siteObj, tick } from '../controllers/helpers.js'
import { until } from '../lib/until.js'

const geo: GeoLocator = { locate: (ip) => ({ ip, source: 'unknown', prefixLength: 0 }) }

test('placing or removing an instance that is not ready does not rebuild; readiness does', async (t) => {
  const f = await fleet(t)
  const stats = new Map<string, LinkStats>([['n1', { node: 'n1', site: 's1', connected: true, lastSeen: 0, bytesIn: 0, bytesOut: 0, sentVersion: 0, ackedVersion: 0, gateway: { address: '127.0.0.1:8443', healthy: true } }]])
  const links: LinkSource = { stats, onLinkChange: () => undefined }
  const table = new RoutingTable({ ...f, links, geo, clock: f.clock, minRebuildIntervalMs: 0 })
  await f.store.create(siteObj('s1'))
  await f.store.create(nodeObj('n1', 's1'))
  await f.store.create(appObj('web', { traffic: { host: 'web.example', port: 'http' } }))
  table.start()
  // Turns of the loop, and no rebuild still scheduled (one waits 10× the last one's cost, in real time).
  const settled = async () => { for (let i = 0; i < 5; i++) await tick(); await until('no rebuild pending', () => !table['scheduled']) }
  await settled()
  const g0 = table.generation

  const inst = await f.store.create(instanceObj('web-1', 'n1', 's1'))
  await settled()
  assert.equal(table.generation, g0, 'a new instance that is not ready changes nothing')
  assert.equal(table.route('web.example', geo.locate('10.0.0.1'))!.ranked.length, 0)

  await markReady(f.store, inst)
  const ready = await f.store.get<typeof inst>('Instance', 'default', 'web-1')
  await f.store.update({ ...ready!, status: { ...ready!.status!, endpoints: { http: '127.0.0.1:8080' } } }, { subresource: 'status' })
  // A rebuild waits 10× the last one's cost (real time): on a loaded machine, more than a few turns.
  await until('readiness rebuilds', () => table.generation > g0)
  await settled()
  assert.deepEqual(table.route('web.example', geo.locate('10.0.0.1'))!.ranked.map((r) => r.site), ['s1'])

  const g1 = table.generation
  const other = await f.store.create(instanceObj('web-2', 'n1', 's1'))
  await f.store.delete('Instance', 'default', other.metadata.name)
  await settled()
  assert.equal(table.generation, g1, 'an instance placed and removed before it was ready changes nothing')

  await f.store.delete('Instance', 'default', 'web-1')
  await until('removing a ready instance rebuilds', () => table.generation > g1)
  assert.equal(table.route('web.example', geo.locate('10.0.0.1'))!.ranked.length, 0)
})
