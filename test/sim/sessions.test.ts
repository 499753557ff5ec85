// Issue 27's rules on hollow sites through the HTTP API: with a readiness probe at the default
// period, a cold start at the nearest site (seen ready on the simulated probe ramp) is preferred to
// a warm slot elsewhere, the answer says why, and a bad distance budget is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Instance } from '../../src/api/kinds/index.js'
import { simSetup, until } from './helpers.js'

test('sim: sessions go cold at the nearest hollow site rather than warm farther away; the reason comes with the answer', async (t) => {
  const s = await simSetup(t, { sites: 6 })
  const headers = { authorization: `Bearer ${s.admin}`, 'content-type': 'application/json' }
  const res = await s.srv.app.inject({
    method: 'PATCH', url: `/apis/edgeplane.io/v1/namespaces/default/apps/game`,
    headers: { ...headers, 'content-type': 'application/apply-patch+yaml' },
    payload: JSON.stringify({
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'game' },
      spec: { template: { command: 'game-server', ports: [{ name: 'ws' }], readiness: { http: { path: '/', port: 'ws' } } }, sessions: { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 3, maxDistanceKm: 20000 } },
    }),
  })
  assert.ok(res.statusCode < 300, res.body)
  await until('a ready pool instance in every site', async () => {
    const { items } = await s.srv.store.list<Instance>('Instance')
    return new Set(items.filter((i) => i.status?.ready && i.spec.sessionKey).map((i) => i.spec.site)).size === 6
  })
  const target = s.fleet.world[3]
  const alloc = (extra: object = {}) => s.srv.app.inject({ method: 'POST', url: '/v1/sessions', headers, payload: JSON.stringify({ app: 'game', location: target.registration.geo, deadlineMs: 10_000, ...extra }) })
  const first = JSON.parse((await alloc()).body)
  assert.deepEqual([first.site, first.start, first.placement.distanceKm], [target.registration.name, 'warm', 0])
  // Every other site still has a warm slot (the budget reaches all of them): the next one is a cold start here.
  const second = await alloc()
  assert.equal(second.statusCode, 201, second.body)
  const v = JSON.parse(second.body)
  assert.deepEqual([v.site, v.start], [target.registration.name, 'cold'])
  assert.match(v.reason, /^cold start at .* \(0 km\): no warm slot, .* fits the \d+ ms left; preferred over the warm slot at /)
  const bad = await alloc({ maxDistanceKm: 0 })
  assert.equal(bad.statusCode, 422, bad.body)
  assert.match(bad.body, /maxDistanceKm/)
})
