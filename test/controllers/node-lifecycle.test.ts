// NodeLifecycle driven by a fake LinkView and a ManualClock: readiness from the link, the grace
// period, heartbeats, never-connected nodes, instances marked Unknown, events, write economy.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Instance, Node } from '../../src/api/kinds/index.js'
import { getCondition } from '../../src/api/meta.js'
import { NodeLifecycle, type LinkStats, type LinkView } from '../../src/controllers/node-lifecycle.js'
import { eventsOf, fleet, instanceObj, log, runningStatus, settle, siteObj, type Fleet } from './helpers.js'
import { API_VERSION } from '../../src/api/meta.js'
import { until } from '../lib/until.js'

const GRACE = 10_000

class FakeLinks implements LinkView {
  readonly stats = new Map<string, LinkStats>()
  private fns: ((node: string) => void)[] = []
  /** Nodes whose byte counters were read, in order. */
  refreshed: string[] = []
  statusRequests: string[] = []
  requestStatus(node: string): void { this.statusRequests.push(node) }
  constructor(private f: Fleet) {}
  onLinkChange(fn: (node: string) => void): void { this.fns.push(fn) }
  refreshCounters(node: string): void { this.refreshed.push(node) }
  connect(node: string, over: Partial<LinkStats> = {}): LinkStats {
    const now = this.f.clock.now()
    const s: LinkStats = {
      node, site: 's0', connected: true, connectedAt: now, lastSeen: now, bytesIn: 100, bytesOut: 200, sentVersion: 7, ackedVersion: 7,
      capacity: { cpu: 2000, memory: 4 * 1024 ** 3 }, agent: { version: '0.1.0', pid: 42 }, ...over,
    }
    this.stats.set(node, s)
    this.fire(node)
    return s
  }
  close(node: string, reason = 'LinkClosed'): void {
    const s = this.stats.get(node)!
    s.connected = false
    s.disconnectedAt = this.f.clock.now()
    s.reason = reason
    this.fire(node)
  }
  fire(node: string): void { for (const fn of this.fns) fn(node) }
}

interface Setup extends Fleet {
  links: FakeLinks
  lc: NodeLifecycle
  node: (name?: string) => Promise<Node>
  ready: (name?: string) => Promise<ReturnType<typeof getCondition>>
  pass: () => Promise<void>
}

async function setup(t: TestContext, opts: { statusIntervalMs?: number } = {}): Promise<Setup> {
  const f = await fleet(t)
  await f.store.create(siteObj('s0'))
  // As registration writes it: spec only, no status yet.
  for (const n of ['n1', 'n2']) await f.store.create<Node>({ apiVersion: API_VERSION, kind: 'Node', metadata: { name: n }, spec: { site: 's0', address: '127.0.0.1' } })
  const links = new FakeLinks(f)
  const lc = new NodeLifecycle({ store: f.store, clock: f.clock, log, events: f.events, nodes: f.nodes, instances: f.instances, links, graceMs: GRACE, ...opts })
  t.after(() => lc.stop())
  const node = async (name = 'n1') => (await f.store.get<Node>('Node', undefined, name))!
  return {
    ...f, links, lc, node,
    ready: async (name = 'n1') => getCondition((await node(name)).status?.conditions, 'Ready'),
    pass: async () => { await lc.pass(); await settle(f.store) },
  }
}

test('node lifecycle: a connected node is Ready with its link, capacity and agent in status', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  await s.pass()
  const n = await s.node()
  const ready = getCondition(n.status?.conditions, 'Ready')
  assert.equal(ready?.status, 'True')
  assert.equal(ready?.reason, 'AgentConnected')
  assert.equal(ready?.lastTransitionTime, new Date(s.clock.now()).toISOString())
  assert.equal(n.status?.link?.state, 'Connected')
  assert.equal(n.status?.link?.connectedAt, new Date(s.clock.now()).toISOString())
  assert.equal(n.status?.link?.bytesIn, 100)
  assert.equal(n.status?.link?.desiredVersion, 7)
  assert.equal(n.status?.link?.reason, undefined)
  assert.deepEqual(n.status?.capacity, { cpu: 2000, memory: 4 * 1024 ** 3 })
  assert.deepEqual(n.status?.allocatable, n.status?.capacity)
  assert.deepEqual(n.status?.agent, { version: '0.1.0', pid: 42 })
  assert.ok(s.links.refreshed.includes('n1'), "the node's byte counters were read before its status was written")
  const ev = (await eventsOf(s.store, 'n1')).find((e) => e.reason === 'NodeReady')
  assert.equal(ev?.type, 'Normal')
})

test('node lifecycle: a closed link keeps the node as it was within the grace, then LinkClosed', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  const n2 = s.links.connect('n2')
  await s.pass()
  const inst = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  await s.store.update({ ...inst, status: runningStatus(inst) }, { subresource: 'status' })
  const other = await s.store.create(instanceObj('web-2', 'n2', 's0'))

  s.clock.advance(1000)
  s.links.close('n1')
  await s.pass()
  let n = await s.node()
  assert.equal(getCondition(n.status?.conditions, 'Ready')?.status, 'True', 'a brief disconnect does not flap the node')
  assert.equal(n.status?.link?.state, 'Disconnected')
  assert.equal(n.status?.link?.reason, 'LinkClosed')

  s.clock.advance(GRACE - 1)
  n2.lastSeen = s.clock.now()
  await s.pass()
  assert.equal((await s.ready())?.status, 'True')
  let i = (await s.store.get<Instance>('Instance', 'default', 'web-1'))!
  assert.equal(i.status?.phase, 'Running')

  s.clock.advance(1)
  n2.lastSeen = s.clock.now()
  await s.pass()
  n = await s.node()
  const ready = getCondition(n.status?.conditions, 'Ready')
  assert.equal(ready?.status, 'False')
  assert.equal(ready?.reason, 'LinkClosed')
  assert.match(ready?.message ?? '', /link down since .*LinkClosed/)

  i = (await s.store.get<Instance>('Instance', 'default', 'web-1'))!
  assert.ok(i, 'instances of a NotReady node are not deleted')
  assert.equal(i.status?.phase, 'Unknown')
  assert.equal(i.status?.ready, false)
  assert.equal(i.status?.reason, 'NodeNotReady')
  assert.match(i.status?.message ?? '', /node n1 is not ready: LinkClosed/)
  assert.equal(i.status?.restarts, 0, 'the rest of the status is kept')
  assert.equal(i.metadata.generation, 1, 'spec untouched')
  const o = (await s.store.get<Instance>('Instance', 'default', 'web-2'))!
  assert.equal(o.status, undefined, 'instances of other nodes are left alone')
  assert.equal(o.metadata.resourceVersion, other.metadata.resourceVersion)

  const warn = (await eventsOf(s.store, 'n1')).filter((e) => e.reason === 'NodeNotReady')
  assert.equal(warn.length, 1)
  assert.equal(warn[0].type, 'Warning')
  assert.equal(warn[0].involvedObject.kind, 'Node')

  // Further passes change nothing.
  const rev = await s.store.revision()
  s.clock.advance(1000)
  n2.lastSeen = s.clock.now()
  await s.pass()
  assert.equal(await s.store.revision(), rev)
})

test('node lifecycle: an instance without status on a NotReady node gets an Unknown status', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  await s.pass()
  await s.store.create(instanceObj('web-1', 'n1', 's0'))
  s.links.close('n1')
  s.clock.advance(GRACE)
  await s.pass()
  const i = (await s.store.get<Instance>('Instance', 'default', 'web-1'))!
  assert.deepEqual({ phase: i.status?.phase, ready: i.status?.ready, node: i.status?.node, site: i.status?.site, reason: i.status?.reason },
    { phase: 'Unknown', ready: false, node: 'n1', site: 's0', reason: 'NodeNotReady' })
})

test('node lifecycle: a connected node without heartbeats for longer than the grace is HeartbeatMissed', async (t) => {
  const s = await setup(t)
  const st = s.links.connect('n1')
  await s.pass()
  s.clock.advance(GRACE)
  await s.pass()
  assert.equal((await s.ready())?.status, 'True', 'exactly the grace is still fine')
  s.clock.advance(1)
  await s.pass()
  const ready = await s.ready()
  assert.equal(ready?.status, 'False')
  assert.equal(ready?.reason, 'HeartbeatMissed')
  assert.match(ready?.message ?? '', /no heartbeat for 10s/)
  assert.equal((await s.node()).status?.link?.state, 'Connected')
  assert.deepEqual(s.links.statusRequests, [])
  // Heartbeats again: Ready again, over the same link; its instances were marked Unknown, so the
  // agent is asked to report them all again (no reconnect would make it).
  st.lastSeen = s.clock.now()
  await s.pass()
  assert.equal((await s.ready())?.status, 'True')
  assert.deepEqual(s.links.statusRequests, ['n1'])
})

test('node lifecycle: a node that never connected becomes NotReady after the grace, saying so', async (t) => {
  const s = await setup(t)
  await s.pass()
  let ready = await s.ready()
  assert.equal(ready?.status, 'Unknown')
  assert.equal(ready?.reason, 'AwaitingAgent')
  assert.equal((await s.node()).status?.link?.reason, 'NotConnectedSinceServerStart')
  s.clock.advance(GRACE)
  await s.pass()
  ready = await s.ready()
  assert.equal(ready?.status, 'False')
  assert.equal(ready?.reason, 'NotConnectedSinceServerStart')
  assert.equal(ready?.message, 'the agent has not connected since the server started')
  const warn = (await eventsOf(s.store, 'n1')).filter((e) => e.reason === 'NodeNotReady').map((e) => e.message)
  assert.ok(warn.includes('the agent has not connected since the server started'), warn.join('; '))
})

test('node lifecycle: a reconnect within the grace keeps the node Ready; after it, Ready comes back', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  await s.pass()
  s.links.close('n1')
  s.clock.advance(3000)
  s.links.connect('n1')
  await s.pass()
  assert.equal((await s.ready())?.status, 'True')
  assert.equal((await eventsOf(s.store, 'n1')).filter((e) => e.reason === 'NodeNotReady').length, 0)

  s.links.close('n1', 'HeartbeatMissed')
  s.clock.advance(GRACE)
  await s.pass()
  const down = await s.ready()
  assert.equal(down?.reason, 'HeartbeatMissed', 'the reason the link gave')
  s.links.connect('n1')
  await s.pass()
  const up = await s.ready()
  assert.equal(up?.status, 'True')
  assert.equal(up?.lastTransitionTime, new Date(s.clock.now()).toISOString())
  const readyEvents = (await eventsOf(s.store, 'n1')).filter((e) => e.reason === 'NodeReady')
  assert.equal(readyEvents.length, 1, 'repeats of one event are aggregated')
  assert.equal(readyEvents[0].count, 2)
})

test('node lifecycle: counters alone are persisted at most every statusIntervalMs', async (t) => {
  const s = await setup(t, { statusIntervalMs: 30_000 })
  const st = s.links.connect('n1')
  await s.pass()
  const rev = await s.store.revision()
  await s.pass()
  assert.equal(await s.store.revision(), rev, 'nothing changed: no write')
  st.bytesIn += 1000
  st.lastSeen = s.clock.now() + 5000
  s.clock.advance(5000)
  await s.pass()
  assert.equal(await s.store.revision(), rev, 'counters changed but not due yet')
  s.clock.advance(25_000)
  st.lastSeen = s.clock.now()
  await s.pass()
  assert.equal((await s.node()).status?.link?.bytesIn, 1100)
})

test('node lifecycle: start() reacts to link changes and to its own ticks', async (t) => {
  const s = await setup(t)
  // Kicked passes are paced in real time when a pass is slow (a loaded machine): wait them out too.
  const quiet = async () => { await settle(s.store); for (let i = 0; i < 500 && s.lc.pending; i++) { await new Promise((r) => setTimeout(r, 10)); await settle(s.store) } }
  s.lc.start()
  await quiet()
  assert.equal((await s.ready('n1'))?.status, 'Unknown')
  s.links.connect('n1')
  await quiet()
  assert.equal((await s.ready('n1'))?.status, 'True', 'a link change runs a pass')
  s.links.close('n1')
  await quiet()
  s.clock.advance(GRACE + 1000) // ticks fire while time passes
  await quiet()
  assert.equal((await s.ready('n1'))?.status, 'False')
  assert.equal((await s.ready('n2'))?.reason, 'NotConnectedSinceServerStart')
  s.lc.stop()
  assert.equal(s.clock.pending(), 0, 'stop cancels the tick')
})

test('node lifecycle: a status report landing while instances are marked Unknown does not stop the marking', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  await s.pass()
  for (const name of ['web-1', 'web-2', 'web-3']) {
    const i = await s.store.create(instanceObj(name, 'n1', 's0'))
    await s.store.update({ ...i, status: runningStatus(i) }, { subresource: 'status' })
  }
  // A store that lets another writer (the status writer, say) update web-2 just before web-1's write.
  let raced = false
  const store = Object.create(s.store) as typeof s.store
  store.update = async (obj, opts) => {
    if (!raced && obj.kind === 'Instance' && obj.metadata.name === 'web-1') {
      raced = true
      const w2 = (await s.store.get<Instance>('Instance', 'default', 'web-2'))!
      await s.store.update({ ...w2, status: runningStatus(w2, { restarts: 1 }) }, { subresource: 'status' })
    }
    return s.store.update(obj, opts)
  }
  const lc = new NodeLifecycle({ store, clock: s.clock, log, events: s.events, nodes: s.nodes, instances: s.instances, links: s.links, graceMs: GRACE })
  s.links.close('n1')
  s.clock.advance(GRACE)
  await lc.pass()
  await settle(s.store)
  assert.ok(raced)
  assert.equal((await s.ready())?.status, 'False')
  for (const name of ['web-1', 'web-2', 'web-3']) {
    const i = (await s.store.get<Instance>('Instance', 'default', name))!
    assert.equal(i.status?.phase, 'Unknown', name)
  }
})

test('node lifecycle: a link cut for missed heartbeats counts the grace from the last sign of life, not from the cut', async (t) => {
  const s = await setup(t)
  const st = s.links.connect('n1')
  await s.pass()
  // Silent from now; the hub gives up on the connection after two heartbeat intervals.
  s.clock.advance(GRACE - 2000)
  s.links.close('n1', 'HeartbeatMissed')
  await s.pass()
  assert.equal((await s.ready())?.status, 'True', 'still within the grace since the last heartbeat')
  s.clock.advance(2001)
  await s.pass()
  const ready = await s.ready()
  assert.equal(ready?.status, 'False', `NotReady once the grace since lastSeen (${new Date(st.lastSeen).toISOString()}) is over`)
  assert.equal(ready?.reason, 'HeartbeatMissed')
})

test('node lifecycle: after a restart, nodes from before wait for the redial backoff and the fleet\'s admission, not the grace alone', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  s.links.connect('n2')
  await s.pass()
  assert.equal((await s.ready('n1'))?.status, 'True')
  s.lc.stop()
  // The server restarts: a new lifecycle with an empty link view; 2 nodes admitted at 1/s take 2 s.
  const links = new FakeLinks(s)
  const lc = new NodeLifecycle({ store: s.store, clock: s.clock, log, events: s.events, nodes: s.nodes, instances: s.instances, links, graceMs: GRACE, reconnectSpreadMs: 30_000, admissionRate: 1 })
  t.after(() => lc.stop())
  const window = GRACE + 30_000 + 2000
  s.clock.advance(GRACE)
  links.connect('n2')
  // n1's first link after the restart is accepted but closed before its hello was welcomed.
  links.connect('n1', { connected: false, connectedAt: undefined })
  await lc.pass(); await settle(s.store)
  const rv = (await s.node('n1')).metadata.resourceVersion
  s.clock.advance(window - GRACE - 1)
  links.stats.get('n2')!.lastSeen = s.clock.now()
  await lc.pass(); await settle(s.store)
  assert.equal((await s.ready('n1'))?.status, 'True', 'still undecided: its agent may be backing off or waiting for admission')
  assert.equal((await s.ready('n2'))?.status, 'True')
  assert.equal((await s.node('n1')).metadata.resourceVersion, rv, 'nothing written for the undecided node')
  s.clock.advance(1)
  links.stats.get('n2')!.lastSeen = s.clock.now()
  await lc.pass(); await settle(s.store)
  const ready = await s.ready('n1')
  assert.equal(ready?.status, 'False')
  assert.equal(ready?.reason, 'NotConnectedSinceServerStart')
  assert.equal((await s.ready('n2'))?.status, 'True')
})

test('node lifecycle: full passes start at least 5× the last one\'s cost apart once a pass is slow; a link change is reconciled at once, alone', async (t) => {
  const s = await setup(t)
  // Each pass costs 30 ms of real time (a large fleet): here, listing the nodes.
  const COST = 30
  let lists = 0
  const list = s.nodes.list.bind(s.nodes)
  s.nodes.list = () => { lists++; const end = performance.now() + COST; while (performance.now() < end) { /* busy, as a pass over 10,000 nodes */ } return list() }
  const quiet = async () => { for (let i = 0; i < 2000 && s.lc.pending; i++) await new Promise((r) => setTimeout(r, 5)) }
  s.lc.start() // a first full pass
  await quiet()
  assert.equal(lists, 1)

  // Full passes (the tick's kicks) are paced after a slow one; kicks meanwhile run one pass.
  const t0 = performance.now()
  s.lc.kick()
  s.lc.kick()
  assert.equal(lists, 1, 'not at once: the last pass was slow')
  assert.equal(s.lc.pending, true)
  await quiet()
  const waited = performance.now() - t0
  assert.equal(lists, 2, 'the kicks ran one full pass')
  assert.ok(waited >= 4 * COST - 5, `the pass started ≥ 5× the cost after the last one started (waited ${waited.toFixed(0)} ms after a ${COST} ms pass)`)

  // A link change: that node alone (no pass over the fleet, so nothing to pace), reading that
  // link's byte counters only (every link's took 27 ms at 10,000 links).
  s.links.refreshed.length = 0
  s.links.connect('n1')
  await quiet()
  assert.equal(lists, 2, 'the fleet was not listed')
  assert.deepEqual(s.links.refreshed, ['n1'], 'only the changed link\'s counters were read')
  await settle(s.store)
  assert.equal((await s.ready('n1'))?.status, 'True')
  assert.notEqual((await s.ready('n2'))?.status, 'True')
})

test('node lifecycle: a pass whose writes are slow to commit does not hold the next pass back', async (t) => {
  const s = await setup(t)
  // Writes take 150 ms to be acknowledged (a store busy with a failover); the scan itself is quick.
  const update = s.store.update.bind(s.store)
  s.store.update = (async (...args: Parameters<typeof update>) => { await new Promise((r) => setTimeout(r, 150)); return update(...args) }) as typeof update
  let lists = 0
  const list = s.nodes.list.bind(s.nodes)
  s.nodes.list = () => { lists++; return list() }
  const quiet = async () => { for (let i = 0; i < 2000 && s.lc.pending; i++) await new Promise((r) => setTimeout(r, 5)) }
  s.links.connect('n1')
  s.links.connect('n2')
  s.lc.kick() // a full pass that writes both nodes' status: ~150 ms until acknowledged
  await quiet()
  assert.equal(lists, 1)
  assert.equal((await s.ready('n2'))?.status, 'True')
  const t0 = performance.now()
  s.lc.kick()
  assert.equal(lists, 2, 'the next pass started at once: the wait for the writes is not the pass\'s cost')
  await quiet()
  assert.ok(performance.now() - t0 < 1000)
})

test('node lifecycle: a link that closes while an earlier close is still being written is written without waiting for it', async (t) => {
  const s = await setup(t)
  s.links.connect('n1')
  s.links.connect('n2')
  await s.pass()
  s.lc.start()
  const quiet = async () => { for (let i = 0; i < 2000 && s.lc.pending; i++) await new Promise((r) => setTimeout(r, 5)) }
  await quiet()
  // n1's writes wait until released (a commit behind a busy loop); n2's go through.
  let release!: () => void
  const held = new Promise<void>((r) => { release = r })
  const update = s.store.update.bind(s.store)
  s.store.update = (async (...args: Parameters<typeof update>) => {
    if (args[0].kind === 'Node' && args[0].metadata.name === 'n1') await held
    return update(...args)
  }) as typeof update
  const state = async (name: string) => (await s.node(name)).status?.link?.state
  s.links.close('n1')
  await new Promise((r) => setImmediate(r))
  s.links.close('n2')
  await until('n2 written down while n1 is still being written', async () => (await state('n2')) === 'Disconnected')
  assert.equal(await state('n1'), 'Connected', 'n1 is still being written')
  release()
  await quiet()
  assert.equal(await state('n1'), 'Disconnected')
})
