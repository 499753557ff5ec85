// Node health from the link: a node whose link closed, or whose heartbeats stopped, becomes
// NotReady after a grace period, with the reason; its instances are marked Unknown (not deleted:
// they most likely still serve). Link figures (state, last seen, bytes) are written to Node status
// on every state change and otherwise at a modest interval, which grows with the fleet so that
// these refreshes stay under a fixed write rate (10,000 nodes every 30 s would be 333 writes/s).
// A pass over every node runs each second: unchanged nodes cost a comparison, and the writes a pass
// needs go out together (the store commits them as a batch). A node whose link changed is
// reconciled at once, on its own.
import type { Instance, Node, LinkStatus } from '../api/kinds/index.js'
import { getCondition, setCondition, type Condition } from '../api/meta.js'
import { isApiError } from '../api/errors.js'
import type { Clock, TimerHandle } from '../lib/clock.js'
import { deepEqual } from '../lib/equal.js'
import type { Logger } from '../lib/log.js'
import type { Cache } from '../store/cache.js'
import type { Store } from '../store/types.js'
import type { EventRecorder } from './events.js'
import { together } from './runtime/together.js'

/** What the link layer knows about one node's connection, in memory. */
export interface LinkStats {
  node: string
  site: string
  connected: boolean
  connectedAt?: number
  disconnectedAt?: number
  /** Why the link is down: LinkClosed, HeartbeatMissed, Replaced, ProtocolError. */
  reason?: string
  lastSeen: number
  bytesIn: number
  bytesOut: number
  sentVersion: number
  ackedVersion: number
  usage?: { cpu: number; memory: number }
  capacity?: { cpu: number; memory: number }
  agent?: { version: string; pid: number; os?: string }
  /** The site gateway the agent runs, as it last reported it. */
  gateway?: { address: string; healthy: boolean; message?: string }
}

export interface LinkView {
  stats: Map<string, LinkStats>
  onLinkChange(fn: (node: string) => void): void
  /** Brings the node's byte counters in stats up to date (read just before they are written). */
  refreshCounters(node: string): void
  /**
   * Asks the node's agent to report every instance's status again (a node that was NotReady had its
   * instances marked Unknown; if its link never broke, nothing else would make it report them).
   */
  requestStatus?(node: string): void
}

export interface NodeLifecycleOptions {
  store: Store
  clock: Clock
  log: Logger
  events: EventRecorder
  nodes: Cache<Node>
  instances: Cache<Instance>
  links: LinkView
  /** NotReady after this long without a link or a heartbeat. */
  graceMs: number
  /**
   * Nodes not connected since this server started get, on top of the grace, this long (the agents'
   * longest redial backoff) and the time the link admission needs for the whole fleet
   * (nodes / admissionRate) before they are judged. Judging a fleet of 10,000 after the grace alone
   * failed over the 8,000 nodes still waiting for admission after a restart, then moved them back.
   */
  reconnectSpreadMs?: number
  admissionRate?: number
  /** Link counters are persisted at most this often when nothing else changes. */
  statusIntervalMs?: number
  /** …and, for a large fleet, no more than this many such refreshes per second (default 50). */
  statusRefreshesPerSecond?: number
  tickMs?: number
}

/** Why a node is NotReady that has not connected since this server started. */
const NEVER_CONNECTED = 'NotConnectedSinceServerStart'

/** A stable fraction in [0, 1) per node: spreads the first refresh of each node over the interval. */
function spread(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  return (h >>> 0) / 2 ** 32
}

export class NodeLifecycle {
  private readonly startedAt: number
  private persistedAt = new Map<string, number>()
  private timer: TimerHandle | undefined
  private busy = false
  private again = false

  constructor(private o: NodeLifecycleOptions) {
    this.startedAt = o.clock.now()
  }

  start(): void {
    this.o.links.onLinkChange((node) => this.kickNode(node))
    this.o.nodes.on((ev) => { if (ev.type === 'ADDED') this.kick() })
    const loop = () => { this.timer = this.o.clock.setTimeout(() => { this.kick(); loop() }, this.o.tickMs ?? 1000) }
    loop()
    this.kick()
  }

  /** Real time (ms) the last pass started and what its scan cost: the pacing of kicked passes. */
  private last = { at: -Infinity, cost: 0 }
  private stopped = false
  private paced: ReturnType<typeof setTimeout> | undefined

  /**
   * Runs a pass now, or right after the current one, but passes start at least 5× the last one's
   * cost apart (≤ 20% of the time): in a reconnect storm every link change kicks, and back-to-back
   * passes over 10,000 nodes took a quarter of the server. A pass under 10 ms (a small fleet) is
   * not worth delaying. (Real time: it paces CPU, not the fleet's clock. The cost is the scan's, not
   * the wait for its writes: timed to the last write, a pass whose 1,000 writes queued behind a
   * failover held the next one back ~10 s, and closed links went NotReady 10 s after their grace.)
   */
  kick(): void {
    if (this.stopped) return
    if (this.busy) { this.again = true; return }
    if (this.paced) return
    const wait = this.last.cost < 10 ? 0 : this.last.at + 5 * this.last.cost - performance.now()
    if (wait > 1) {
      this.paced = setTimeout(() => { this.paced = undefined; this.kick() }, wait)
      this.paced.unref?.()
      return
    }
    this.busy = true
    const started = performance.now()
    let cost = 0
    void this.pass().then((scan) => { cost = scan }).catch((err) => this.o.log.warn({ err }, 'node lifecycle pass failed')).finally(() => {
      this.last = { at: started, cost }
      this.busy = false
      this.next()
    })
  }

  /** Nodes whose link changed since a pass last read them. */
  private dirty = new Set<string>()
  private dirtyQueued = false
  /** Nodes whose writes of a run for changed links are not committed yet (no other run writes them meanwhile). */
  private inflight = new Set<string>()

  /**
   * A node's link changed: it is reconciled at once, with the others that changed in the same turn,
   * without a pass over the fleet (O(changed), so not paced): a closed link is written down while
   * 2,000 sites fail over around it. Grace expiries and refreshes are the full passes' (the tick).
   */
  kickNode(name: string): void {
    this.dirty.add(name)
    if (this.dirtyQueued) return
    this.dirtyQueued = true
    setImmediate(() => { this.dirtyQueued = false; this.runDirty() })
  }

  /**
   * Reconciles the changed nodes whose earlier writes are committed; runs overlap, on different
   * nodes. (One after another, the 999 links of a kill that closed a turn after the first waited
   * 1.1 s for that one node's write to commit on a busy server.)
   */
  private runDirty(): void {
    if (this.busy || !this.dirty.size) return
    const nodes: Node[] = []
    for (const name of this.dirty) {
      if (this.inflight.has(name)) continue
      this.dirty.delete(name)
      const n = this.o.nodes.get(undefined, name)
      if (n) nodes.push(n)
    }
    if (!nodes.length) return
    for (const n of nodes) this.inflight.add(n.metadata.name)
    void this.passOver(nodes).catch((err) => this.o.log.warn({ err }, 'node lifecycle pass failed')).finally(() => {
      for (const n of nodes) this.inflight.delete(n.metadata.name)
      this.runDirty()
    })
  }

  /** After a full pass: the nodes that changed meanwhile first, then a full pass if one was asked for. */
  private next(): void {
    if (this.dirty.size) this.runDirty()
    if (this.again) { this.again = false; this.kick() }
  }

  /** A pass is running, due again, or paced for later (tests wait for this to clear). */
  get pending(): boolean { return this.busy || this.again || this.paced !== undefined || this.dirtyQueued || this.dirty.size > 0 || this.inflight.size > 0 }

  /** One pass over every node. Exposed for tests driven by a manual clock. */
  async pass(): Promise<number> {
    // It reads every node: those changed so far need no pass of their own. Nodes a run for changed
    // links is still writing are that run's (their cached objects are about to be replaced).
    for (const name of this.dirty) if (!this.inflight.has(name)) this.dirty.delete(name)
    const started = performance.now()
    return this.passOver(this.o.nodes.list().filter((n) => !this.inflight.has(n.metadata.name)), started)
  }

  /** Reconciles these nodes and writes what changed; resolves with the scan's cost (ms, real time). */
  private async passOver(nodes: Node[], started = performance.now()): Promise<number> {
    // Byte counters are read only for the nodes written (reading every link's took 27 ms at
    // 10,000, on every pass, for the ~50 refreshes a pass writes).
    const now = this.o.clock.now()
    const interval = Math.max(this.o.statusIntervalMs ?? 30_000, (this.o.nodes.size * 1000) / (this.o.statusRefreshesPerSecond ?? 50))
    const writes: (() => Promise<void>)[] = []
    for (const node of nodes) {
      const w = this.reconcile(node, now, interval)
      if (w) writes.push(w)
    }
    this.byNode = undefined
    const scan = performance.now() - started
    await together(writes, (w) => w())
    return scan
  }

  /** What a node needs written, if anything (cheap when nothing changed: most nodes, most passes). */
  private reconcile(node: Node, now: number, interval: number): (() => Promise<void>) | undefined {
    const name = node.metadata.name
    const s = this.o.links.stats.get(name)
    // Known from before this server started, not connected since, still within the grace: nothing
    // is decided yet (after a restart the fleet reconnects in this window; writing every node first
    // as disconnected and then as connected again would double the storm's writes for nothing). A
    // link accepted but closed before its hello was welcomed (a hello timeout in the storm) has not
    // connected either: judging it then failed over ~1,000 of 10,000 sites that came back seconds later.
    if (!s?.connectedAt && node.status && now - this.startedAt < this.startupGraceMs()) return undefined
    const prevReady = getCondition(node.status?.conditions, 'Ready')
    const ready = this.readiness(s, now, prevReady)
    const capacity = s?.capacity ?? node.status?.capacity ?? { cpu: 0, memory: 0 }
    const state = s?.connected ? 'Connected' : 'Disconnected'
    const transition = prevReady?.status !== ready.status || node.status?.link?.state !== state || !deepEqual(node.status?.capacity, capacity)
    // A node this process has not written yet gets its first refresh at a stable point of the interval.
    if (!this.persistedAt.has(name)) this.persistedAt.set(name, now - spread(name) * interval)
    const due = now - this.persistedAt.get(name)! >= interval
    if (!transition && !due) return undefined
    if (s) this.o.links.refreshCounters(name)
    const link: LinkStatus = {
      state,
      bytesIn: s?.bytesIn ?? node.status?.link?.bytesIn ?? 0,
      bytesOut: s?.bytesOut ?? node.status?.link?.bytesOut ?? 0,
      ...(s ? { lastSeen: new Date(s.lastSeen).toISOString() } : node.status?.link?.lastSeen ? { lastSeen: node.status.link.lastSeen } : {}),
      ...(s?.connectedAt ? { connectedAt: new Date(s.connectedAt).toISOString() } : {}),
      // The same reason the condition gives: a node that never connected did not lose its link.
      ...(!s?.connectedAt ? { reason: NEVER_CONNECTED } : !s.connected && s.reason ? { reason: s.reason } : {}),
      ...(s ? { desiredVersion: s.sentVersion, ackedVersion: s.ackedVersion } : {}),
    }
    const conditions = setCondition(node.status?.conditions, ready, new Date(now).toISOString())
    const status: Node['status'] = {
      capacity,
      allocatable: capacity,
      ...(s?.usage ? { usage: s.usage } : node.status?.usage ? { usage: node.status.usage } : {}),
      conditions,
      link,
      ...(s?.agent ? { agent: s.agent } : node.status?.agent ? { agent: node.status.agent } : {}),
    }
    if (!transition && deepEqual(node.status, status)) {
      this.persistedAt.set(name, now)
      return undefined
    }
    return async () => {
      try {
        await this.o.store.update({ ...node, status }, { subresource: 'status' })
        this.persistedAt.set(name, now)
      } catch (err) {
        if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err
        return
      }
      if (prevReady?.status !== ready.status) {
        this.o.events.record(node, ready.status === 'True' ? 'Normal' : 'Warning', ready.status === 'True' ? 'NodeReady' : 'NodeNotReady', ready.message ?? ready.reason ?? '')
        if (ready.status !== 'True') await this.markInstancesUnknown(name, ready)
        else if (prevReady?.status === 'False') this.o.links.requestStatus?.(name)
      }
    }
  }

  /** node → its instances, built at most once per pass (only when some node went NotReady). */
  private byNode: Map<string, Instance[]> | undefined

  private instancesOn(node: string): Instance[] {
    if (!this.byNode) {
      this.byNode = new Map()
      for (const i of this.o.instances.list()) {
        const list = this.byNode.get(i.spec.node)
        if (list) list.push(i)
        else this.byNode.set(i.spec.node, [i])
      }
    }
    return this.byNode.get(node) ?? []
  }

  private readiness(s: LinkStats | undefined, now: number, prev: Condition | undefined): Condition {
    const grace = this.o.graceMs
    if (s?.connected) {
      if (now - s.lastSeen <= grace) return { type: 'Ready', status: 'True', reason: 'AgentConnected', message: 'the agent is connected and heartbeating' }
      return { type: 'Ready', status: 'False', reason: 'HeartbeatMissed', message: `no heartbeat for ${Math.round((now - s.lastSeen) / 1000)}s` }
    }
    // A link the hub cut for missed heartbeats went quiet at lastSeen, not when it was cut: counting
    // the grace from the cut would add it twice (a silent death NotReady after ~2× the grace).
    // (A link closed before its hello was welcomed never connected.)
    if (!s?.connectedAt) {
      if (now - this.startedAt < this.startupGraceMs()) return prev ?? { type: 'Ready', status: 'Unknown', reason: 'AwaitingAgent', message: 'waiting for the agent to connect' }
      return { type: 'Ready', status: 'False', reason: NEVER_CONNECTED, message: 'the agent has not connected since the server started' }
    }
    const since = s.reason === 'HeartbeatMissed' ? Math.min(s.lastSeen, s.disconnectedAt ?? s.lastSeen) : s.disconnectedAt ?? this.startedAt
    // Within the grace period nothing is decided: a brief reconnect must not flap the node.
    if (now - since < grace) return prev ?? { type: 'Ready', status: 'Unknown', reason: 'AwaitingAgent', message: 'waiting for the agent to connect' }
    const reason = s.reason ?? 'LinkClosed'
    return { type: 'Ready', status: 'False', reason, message: `link down since ${new Date(since).toISOString()} (${reason})` }
  }

  /** How long after this server started a node that has not connected since is left undecided. */
  private startupGraceMs(): number {
    const admission = this.o.admissionRate ? (this.o.nodes.size / this.o.admissionRate) * 1000 : 0
    return this.o.graceMs + (this.o.reconnectSpreadMs ?? 0) + admission
  }

  /** The control plane no longer knows what runs there; the agent will tell when it is back. */
  private async markInstancesUnknown(node: string, ready: Condition): Promise<void> {
    for (const listed of this.instancesOn(node)) {
      // Read again from the cache: a status report may have landed while an earlier one was written,
      // and a stale resourceVersion would fail the write (and, with it, the rest of this node's).
      const i = this.o.instances.get(listed.metadata.namespace, listed.metadata.name)
      if (!i || i.status?.phase === 'Unknown') continue
      const status = {
        ...(i.status ?? { restarts: 0, endpoints: {}, node: i.spec.node, site: i.spec.site }),
        phase: 'Unknown' as const, ready: false, reason: 'NodeNotReady', message: `node ${node} is not ready: ${ready.reason}`,
      }
      try {
        await this.o.store.update({ ...i, status }, { subresource: 'status' })
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err
      }
    }
  }

  stop(): void {
    this.stopped = true // a new leader term makes a new NodeLifecycle; this one's link listener stays registered
    this.timer?.cancel()
    if (this.paced) clearTimeout(this.paced)
    this.dirty.clear()
  }
}
