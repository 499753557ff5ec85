// Issue 22, high: the routes and a peer key went to any node whose hello named a gateway, and the
// key was the fleet's one secret (with it, a forged proof lifted every gateway's limits). Now only a
// node whose credential allows a gateway gets routes and a key of its own, certified by the fleet
// key; a refused gateway is an Event and never enters the routing table's view.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { until } from '../lib/until.js'
import type { RoutesMessage } from '../../src/api/link.js'
import { decodePeerGrant, signPeer, verifyPeer } from '../../src/agent/gateway/peer-proof.js'
import { PeerGrants } from '../../src/server/link/peer-grants.js'
import { ManualClock } from '../../src/lib/clock.js'
import { helloOf, hubFixture } from './hub-fixture.js'

test('only a node allowed a gateway gets routes and a peer key of its own; a refused one gets an Event', async (t) => {
  const seed = randomBytes(32)
  const events: { name: string; reason: string }[] = []
  // The grants read the hub fixture's clock (made inside it).
  let hubClock: ManualClock | undefined
  const grantsClock = { now: () => hubClock!.now() } as ManualClock
  const { hub, clock, dial } = await hubFixture(t, {
    routesIntervalMs: 0,
    routesFor: () => [{ host: 'app.test', endpoints: [], fallbacks: [] }],
    peerGrants: new PeerGrants(seed, grantsClock, 10), // certificates for 10 s: renewed after 5
    events: { record: (obj, _type, reason) => events.push({ name: obj.metadata.name, reason }) },
  }, { gateway: (n) => n === 2 })
  hubClock = clock
  const got: (Partial<RoutesMessage> & { t: string })[][] = [[], [], []]
  for (const k of [1, 2]) {
    const c = await dial()
    c.on('message', (d) => got[k].push(JSON.parse(d.toString())))
    c.send(JSON.stringify(helloOf(k, { gateway: { address: `127.0.0.1:${9000 + k}`, healthy: true } })))
    await until(`node ${k} welcomed`, () => got[k].some((m) => (m.t as string) === 'welcome'))
  }
  await until('the allowed gateway gets its routes', () => got[2].some((m) => m.t === 'routes'))
  // n1 is connected but is no gateway in the server's eyes.
  assert.equal(hub.stats.get('n1')?.connected, true)
  assert.equal(hub.stats.get('n1')?.gateway, undefined)
  assert.equal(got[1].filter((m) => m.t === 'routes').length, 0, 'no routes, no key for a node not allowed a gateway')
  assert.deepEqual(events, [{ name: 'n1', reason: 'GatewayNotAllowed' }])
  assert.equal(hub.stats.get('n2')?.gateway?.address, '127.0.0.1:9002')

  const routes = got[2].find((m) => m.t === 'routes')!
  const grant = routes.peer!
  assert.equal(grant.node, 'n2')
  assert.notEqual(grant.key, seed.toString('base64url'), 'the fleet seed never leaves the server')
  assert.ok(!JSON.stringify(got[2]).includes(seed.toString('base64url')))
  const id = decodePeerGrant(grant)!
  assert.equal(verifyPeer(id.ca, signPeer(id, '10.0.0.1', grantsClock.now()), '10.0.0.1', grantsClock.now()), 'n2')

  // Renewed at half its life, by the heartbeat, with no routing change.
  const before = got[2].filter((m) => m.t === 'routes').length
  clock.advance(7_000) // each link is visited once per 4 s interval
  await until('a renewed certificate', () => got[2].filter((m) => m.t === 'routes').length > before)
  const renewed = got[2].filter((m) => m.t === 'routes').at(-1)!.peer!
  assert.notEqual(renewed.cert, grant.cert)
})
