// Route pushes to site gateways: a push computes every gateway's routes in slices, the event loop
// serving others between them (10,000 gateways took half a second at once), and a change during a
// push is sent by another push after it, so every gateway ends with the latest routes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { until } from '../lib/until.js'
import type { RoutesMessage } from '../../src/api/link.js'
import { helloOf, hubFixture } from './hub-fixture.js'

const GATEWAYS = 20

test('route push: in slices that let the loop run between them, and a change meanwhile is pushed after', async (t) => {
  let version = 1
  let computed = 0
  const { hub, clock, dial } = await hubFixture(t, {
    routesIntervalMs: 0, routesSliceMs: 0, // one gateway per slice
    routesFor: (site) => { computed++; return [{ host: `v${version}.test`, endpoints: [], fallbacks: [{ site, gateway: '127.0.0.1:1' }] }] },
  })
  const latest: string[] = []
  for (let k = 1; k <= GATEWAYS; k++) {
    const c = await dial()
    c.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { t: string } & Partial<RoutesMessage>
      if (msg.t === 'routes') latest[k - 1] = msg.routes![0].host
    })
    c.send(JSON.stringify(helloOf(k, { gateway: { address: `127.0.0.1:${9000 + k}`, healthy: true } })))
    await until(`gateway ${k} welcomed with its routes`, () => latest[k - 1] === 'v1.test')
  }

  version = 2
  computed = 0
  hub.pushRoutes()
  const inFirstSlice = computed
  await new Promise((r) => setImmediate(r))
  assert.equal(inFirstSlice, 1, 'a slice of 0 ms still pushes one gateway')
  assert.ok(computed < GATEWAYS, `the loop ran before the push was through (${computed} of ${GATEWAYS} computed)`)
  version = 3
  hub.pushRoutes() // a change while the push is under way
  // (The second push waits 10× the first one's cost on the hub's clock.)
  // The first push's later slices may already compute v3: wait for the second push too (on a
  // loaded machine the gateways were all on v3 before it had run).
  await until('every gateway on the latest routes, by a second push', () => {
    clock.advance(100)
    return latest.length === GATEWAYS && latest.every((h) => h === 'v3.test') && computed >= 2 * GATEWAYS - 1
  })
})
