// The fleet simulator against a real in-process server (TLS, CA pinned through the join token, the
// real link): sites appear, partitions and deaths are noticed with their reasons, healing converges,
// and a change reaches every site.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Instance, Site } from '../../src/api/kinds/index.js'
import { applyApp, nodes, ready, simSetup, until } from './helpers.js'

test('sim: sites join and appear with their place, region and provider; every node becomes Ready', async (t) => {
  const s = await simSetup(t, { sites: 8, nodesPerSite: 2 })
  assert.equal(s.fleet.stats().connected, 16)
  await until('16 Ready nodes', async () => [...(await nodes(s.srv)).values()].filter((n) => ready(n).status === 'True').length === 16)
  const { items } = await s.srv.store.list<Site>('Site')
  assert.equal(items.length, 8)
  for (const w of s.fleet.world) {
    const site = items.find((x) => x.metadata.name === w.registration.name)!
    assert.equal(site.spec.region, w.registration.region)
    assert.equal(site.spec.provider, w.registration.provider)
    assert.deepEqual(site.spec.geo, w.registration.geo)
    assert.equal(site.metadata.labels?.city, w.city)
  }
  await until('site status counts both nodes', async () => (await s.srv.store.list<Site>('Site')).items.every((x) => x.status?.readyNodes === 2))
  const n = (await nodes(s.srv)).get(s.fleet.world[0].nodes[0].name)!
  assert.equal(n.spec.address, s.fleet.world[0].nodes[0].address)
  assert.equal(n.status?.agent?.os, 'hollow')
  assert.equal(n.status?.link?.state, 'Connected')
})

test('sim: a change reaches every site; instances run, become ready and are routed to', async (t) => {
  const s = await simSetup(t, { sites: 12 })
  await applyApp(s, 'wave', 12)
  await until('every site acked a document holding a wave instance', () => s.fleet.nodes.every((n) => n.hasInstanceOf('wave')))
  await until('12 ready instances in the store', async () => {
    const { items } = await s.srv.store.list<Instance>('Instance')
    return items.length === 12 && items.every((i) => i.status?.phase === 'Running' && i.status.ready)
  })
  const { items } = await s.srv.store.list<Instance>('Instance')
  assert.equal(new Set(items.map((i) => i.spec.site)).size, 12, 'spread over every site')
  for (const i of items) assert.ok(i.status!.endpoints.http.startsWith(s.fleet.world.find((w) => w.registration.name === i.spec.site)!.nodes[0].address + ':'))
  await until('acked versions equal the server\'s', () => s.fleet.nodes.every((n) => {
    const st = s.srv.hub.stats.get(n.name)
    return st?.ackedVersion === n.ackedVersion && st.sentVersion === n.version
  }))
  await until('every site in the routing answer', () => (s.srv.routing.route('wave.edge.test', { ip: '192.0.2.1', source: 'unknown', prefixLength: 0 })?.ranked.length ?? 0) === 12)
  assert.equal(s.fleet.stats().instanceRestarts, 0)
})

test('sim: partitions are noticed with their reason; healing converges to the server\'s versions', async (t) => {
  const s = await simSetup(t, { sites: 10 })
  await applyApp(s, 'app', 10)
  await until('instances ready', () => s.fleet.stats().ready === 10)
  const [closed, silent] = [s.fleet.pick(2), s.fleet.pick(2)]
  const cut = [...closed, ...silent]
  // pick() draws again each time; keep the two sets apart.
  const silentOnly = silent.filter((x) => !closed.includes(x))
  s.fleet.partition(closed, { mode: 'closed' })
  s.fleet.partition(silentOnly, { mode: 'silent' })
  const nodeOf = (site: string) => `${site}-n0`
  await until('closed links noticed at once (link Disconnected)', async () => {
    const all = await nodes(s.srv)
    return closed.every((x) => all.get(nodeOf(x))?.status?.link?.state === 'Disconnected')
  })
  let seen: Record<string, string> = {}
  await until('partitioned nodes NotReady with the reason', async () => {
    const all = await nodes(s.srv)
    seen = Object.fromEntries(cut.map((x) => [x, `${closed.includes(x) ? 'closed' : 'silent'}: ${ready(all.get(nodeOf(x))).status}/${ready(all.get(nodeOf(x))).reason}, link ${s.srv.hub.stats.get(nodeOf(x))?.reason ?? 'up'}`]))
    return closed.every((x) => ready(all.get(nodeOf(x))).reason === 'LinkClosed') &&
      silentOnly.every((x) => ready(all.get(nodeOf(x))).status === 'False' && ready(all.get(nodeOf(x))).reason === 'HeartbeatMissed')
  }, 15_000, () => seen)
  const all = await nodes(s.srv)
  for (const [name, n] of all) {
    if (!cut.map(nodeOf).includes(name)) assert.equal(ready(n).status, 'True', `${name} stays Ready`)
  }
  // Their instances are Unknown to the control plane, not deleted.
  const { items } = await s.srv.store.list<Instance>('Instance')
  assert.equal(items.length, 10)
  await until('instances of partitioned nodes Unknown', async () => (await s.srv.store.list<Instance>('Instance')).items.filter((i) => i.status?.phase === 'Unknown').length === new Set(cut).size)

  // A change made while they were cut off (the app is deleted) reaches them after healing, once.
  const del = await s.srv.app.inject({ method: 'DELETE', url: '/apis/edgeplane.io/v1/namespaces/default/apps/app', headers: { authorization: `Bearer ${s.admin}` } })
  assert.equal(del.statusCode, 200, del.body)
  await until('reachable sites dropped their instance', () => s.fleet.nodes.filter((n) => !cut.includes(n.site)).every((n) => !n.hasInstanceOf('app')))
  assert.ok(s.fleet.nodes.filter((n) => cut.includes(n.site)).every((n) => n.hasInstanceOf('app')), 'cut-off sites keep serving (autonomy)')
  s.fleet.heal(cut)
  await until('healed nodes Ready again', async () => [...(await nodes(s.srv)).values()].every((n) => ready(n).status === 'True'), 20_000)
  await until('every node acked the server\'s version', () => s.fleet.nodes.every((n) => {
    const st = s.srv.hub.stats.get(n.name)
    return !!st?.connected && st.ackedVersion === st.sentVersion && n.ackedVersion === st.sentVersion
  }), 20_000, () => s.fleet.nodeStats())
  assert.ok(s.fleet.nodes.every((n) => !n.hasInstanceOf('app')), 'the deletion reached the healed sites')
  const st = s.fleet.stats()
  assert.equal(st.instancesStarted, 10, 'nothing was started twice')
  assert.equal(st.instancesStopped, 10, 'each instance stopped exactly once')
  assert.equal(st.instanceRestarts, 0)
  assert.ok(st.reconnects >= closed.length, `${st.reconnects} reconnects`)
})

test('sim: killed sites (silent and closed) go NotReady and out of routing; revived ones come back', async (t) => {
  const s = await simSetup(t, { sites: 8 })
  await applyApp(s, 'web', 8)
  await until('routing has every site', () => (s.srv.routing.route('web.edge.test', { ip: '192.0.2.1', source: 'unknown', prefixLength: 0 })?.ranked.length ?? 0) === 8)
  const silent = s.fleet.pick(2)
  const closed = s.fleet.pick(2, { exclude: silent })
  s.fleet.kill(silent, { silent: true })
  s.fleet.kill(closed)
  const routed = () => new Set(s.srv.routing.route('web.edge.test', { ip: '192.0.2.1', source: 'unknown', prefixLength: 0 })?.ranked.map((r) => r.site))
  await until('closed sites out of routing', () => closed.every((x) => !routed().has(x)))
  await until('dead nodes NotReady', async () => {
    const all = await nodes(s.srv)
    return [...silent, ...closed].every((x) => ready(all.get(`${x}-n0`)).status === 'False')
  })
  await until('silent sites out of routing', () => silent.every((x) => !routed().has(x)))
  assert.equal(routed().size, 4)
  assert.equal(s.fleet.stats().dead, 4)
  s.fleet.revive([...silent, ...closed])
  await until('revived sites Ready and routed', async () => [...(await nodes(s.srv)).values()].every((n) => ready(n).status === 'True') && routed().size === 8, 20_000)
  assert.equal(s.fleet.stats().instanceRestarts, 0)
})

test('sim: latency, loss and flapping slow a site down but it converges', async (t) => {
  const s = await simSetup(t, { sites: 6 })
  const [slow, lossy, flappy] = [s.fleet.pick(1), s.fleet.pick(1), s.fleet.pick(1)]
  s.fleet.setLatency(slow, 150, 50)
  s.fleet.setLoss(lossy, 0.2)
  const flap = s.fleet.flap(flappy, { downMs: 300, upMs: 300, cycles: 3 })
  await applyApp(s, 'app', 6)
  await flap.done
  s.fleet.setLoss(lossy, 0)
  await until('every site runs its instance', () => s.fleet.nodes.every((n) => n.hasInstanceOf('app')), 20_000)
  await until('every node acked the server\'s version', () => s.fleet.nodes.every((n) => {
    const st = s.srv.hub.stats.get(n.name)
    return !!st?.connected && st.ackedVersion === st.sentVersion && n.version === st.sentVersion
  }), 20_000)
  assert.ok(s.fleet.stats().reconnects >= 1, 'the flapping site reconnected')
})

test('sim: session pools run on hollow sites; an allocation gets a warm slot at the nearest site, on its node\'s address', async (t) => {
  const s = await simSetup(t, { sites: 6 })
  const res = await s.srv.app.inject({
    method: 'PATCH', url: `/apis/edgeplane.io/v1/namespaces/default/apps/game`,
    headers: { authorization: `Bearer ${s.admin}`, 'content-type': 'application/apply-patch+yaml' },
    payload: JSON.stringify({
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'game' },
      spec: { template: { command: 'game-server', ports: [{ name: 'ws' }] }, sessions: { slotsPerInstance: 4, warmPerSite: 2, maxPerSite: 3, urlScheme: 'ws' } },
    }),
  })
  assert.ok(res.statusCode < 300, res.body)
  await until('a ready pool instance in every site', async () => {
    const { items } = await s.srv.store.list<Instance>('Instance')
    return new Set(items.filter((i) => i.status?.ready && i.spec.sessionKey).map((i) => i.spec.site)).size === 6
  })
  const target = s.fleet.world[3]
  const alloc = await s.srv.app.inject({
    method: 'POST', url: '/v1/sessions', headers: { authorization: `Bearer ${s.admin}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ app: 'game', location: target.registration.geo }),
  })
  assert.equal(alloc.statusCode, 201, alloc.body)
  const v = JSON.parse(alloc.body) as { site: string; start: string; endpoint: { address: string; port: number; url: string }; token?: string }
  assert.equal(v.site, target.registration.name)
  assert.equal(v.start, 'warm')
  assert.equal(v.endpoint.address, target.nodes[0].address)
  assert.match(v.endpoint.url, /^ws:\/\/127\.\d+\.\d+\.\d+:\d+\/$/)
  assert.ok(v.token)
})

test('sim: a node that gives up on the server during a silent partition is not seen closing: the server finds out by its heartbeat; the heal ends that connection and the node reconnects', async (t) => {
  const s = await simSetup(t, { sites: 2 })
  const node = s.fleet.nodes[0]
  const ws = node['ws'] as { terminate(): void; readyState: number }
  s.fleet.partition([node.site], { mode: 'silent' })
  // What the node's link watchdog does when the server has been silent three intervals.
  ws.terminate()
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(ws.readyState, 1, 'the socket is still open: the end is held while the network is silent')
  assert.equal(s.srv.hub.stats.get(node.name)?.connected, true, 'the server saw no close')
  await until('the server cut the silent link itself', () => s.srv.hub.stats.get(node.name)?.reason === 'HeartbeatMissed')
  const connects = node.connects
  s.fleet.heal([node.site])
  await until('the node reconnected after the heal', () => node.connects > connects && node.connected)
  assert.equal(s.srv.hub.stats.get(node.name)?.connected, true)
})
