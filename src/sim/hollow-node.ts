// A hollow node: the real agent's link (LinkClient: TLS, CA pinned, credential, backoff with full
// jitter, ping watchdog) and the real desired-document logic (applyDesired, diffInstances), with a
// simulated runtime instead of processes: an instance becomes Running after a delay and ready after
// another, and reports status in coalesced batches and usage when it moves, as the agent does.
// Every timer goes through the fleet's shared ticker. Faults are injected at the node's end of the
// link: partitions (closed or silent), death (closed or silent), latency and loss of what it sends.
import type { SecureContext } from 'node:tls'
import WebSocket from 'ws'
import type { AgentMessage, DesiredInstance, DesiredMessage, HelloMessage, ImagePullReport, ImagesMessage, InstanceReport, ServerMessage, SiteRegistration } from '../api/link.js'
import { decodeServerMessage } from '../api/link.js'
import type { InstancePhase } from '../api/kinds/index.js'
import type { TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import { VERSION } from '../version.js'
import { applyDesired, diffInstances } from '../agent/diff.js'
import { LinkClient } from '../agent/link-client.js'
import { rampSeenAt } from '../agent/probes/ramp.js'
import { NodeClock, type Ticker } from './ticker.js'
import type { SimNodeSpec } from './world.js'

/** Fleet-wide counters (one object shared by every node: no per-node bookkeeping). */
export interface FleetCounters {
  linkUps: number
  linkDowns: number
  acks: number
  resyncs: number
  instancesStarted: number
  instancesStopped: number
  instanceRestarts: number
  messagesIn: number
  messagesOut: number
  /** Outgoing messages and pongs lost to injected loss, silence or death. */
  dropped: number
  routes: number
  /** Hollow pre-pulls done, and the copies of an image they took from the central registry itself (a cache's miss costs its parent 2: distribution fetches it twice). */
  imagePulls: number
  centerCopies: number
}

export function newCounters(): FleetCounters {
  return { linkUps: 0, linkDowns: 0, acks: 0, resyncs: 0, instancesStarted: 0, instancesStopped: 0, instanceRestarts: 0, messagesIn: 0, messagesOut: 0, dropped: 0, routes: 0, imagePulls: 0, centerCopies: 0 }
}

export interface HollowRuntime {
  /** From placement to Running. */
  startDelayMs: number
  /** From Running to ready. */
  readyDelayMs: number
  /** A hollow pre-pull takes this long (default 1 s). */
  pullDelayMs?: number
  /** Each node advertises a healthy site cache on its address (port 5000). */
  registryCache?: boolean
}

export interface HollowNodeOptions {
  server: string
  ca?: string
  /** One TLS context for the whole fleet (parsing the CA once, not once per connection). */
  secureContext?: SecureContext
  credential: string
  spec: SimNodeSpec
  site: SiteRegistration
  /** host:port of the site gateway this node advertises (hollow: nothing listens there). */
  gateway?: string
  ticker: Ticker
  random: () => number
  log: Logger
  backoff?: { initialMs: number; maxMs: number }
  runtime: HollowRuntime
  statusBatchMs: number
  counters: FleetCounters
  onAck?: (node: HollowNode, version: number) => void
  onLink?: (node: HollowNode, up: boolean, reason?: string) => void
  /** Each redial of the link, with why the last connection or attempt ended. */
  onRedial?: (node: HollowNode, reason: string, delayMs: number) => void
}

interface SimInstance {
  d: DesiredInstance
  phase: InstancePhase
  ready: boolean
  restarts: number
  pid: number
  startedAt?: string
  endpoints: Record<string, string>
  timer?: TimerHandle
}

export type PartitionMode = 'closed' | 'silent'

export class HollowNode {
  readonly name: string
  readonly site: string
  /** The desired version this node holds (applied). */
  version = 0
  ackedVersion = 0
  /** Times the link came up. */
  connects = 0
  dead: false | PartitionMode = false
  partitioned: false | PartitionMode = false
  latencyMs = 0
  jitterMs = 0
  loss = 0
  private instances = new Map<string, SimInstance>()
  private dirty = new Set<string>()
  private flushTimer: TimerHandle | undefined
  private link: LinkClient
  private ws: WebSocket | undefined
  private readonly clock: NodeClock
  private lastDue = 0
  private lastUsage = ''
  private nextPort = 30000
  private nextPid: number
  private staleWarned = false
  /** The end of a connection the node gave up on during a silent partition, carried out at the heal. */
  private heldClose: (() => void) | undefined

  constructor(private o: HollowNodeOptions) {
    this.name = o.spec.name
    this.site = o.site.name
    this.clock = new NodeClock(o.ticker)
    this.nextPid = 1000 + Math.floor(o.random() * 100_000)
    this.link = this.newLink()
  }

  get connected(): boolean { return this.link.connected }

  start(): void { this.link.start() }

  private newLink(): LinkClient {
    const link: LinkClient = new LinkClient({
      serverUrl: this.o.server,
      // Typebox's compiled validators: thousands of hollow nodes decode faster with them than with the agent's small checker.
      decode: decodeServerMessage,
      credential: () => this.o.credential,
      clock: this.clock,
      random: this.o.random,
      log: this.o.log,
      hello: () => this.hello(),
      onMessage: (msg) => { if (this.link === link) this.onMessage(msg) },
      onUp: () => {
        if (this.link !== link) return
        this.connects++
        this.o.counters.linkUps++
        // The hello told the server which version this node holds: that acknowledges it too
        // (an ack lost with the previous connection is not waited for again).
        if (this.ackedVersion < this.version) {
          this.ackedVersion = this.version
          this.o.onAck?.(this, this.version)
        }
        this.o.onLink?.(this, true)
      },
      onDown: (reason) => {
        if (this.link !== link) return
        this.o.counters.linkDowns++
        this.o.onLink?.(this, false, reason)
      },
      onRedial: (reason, delayMs) => { if (this.link === link) this.o.onRedial?.(this, reason, delayMs) },
      ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      // Pongs are ours to send, so that latency, loss and silence apply to them too.
      // Each node dials from its own loopback address, as a real site would from its own: the
      // server sees distinct peers, and thousands of links do not share one address's port range.
      // Lean compression state (thousands of links share this process): the window the server asks
      // for anyway, and a small hash table.
      socketOptions: {
        autoPong: false, localAddress: this.o.spec.address,
        perMessageDeflate: { threshold: 256, clientMaxWindowBits: 10, zlibDeflateOptions: { memLevel: 4 } },
        ...(this.o.secureContext ? { secureContext: this.o.secureContext } : {}),
      },
      onSocket: (ws) => {
        this.ws = ws
        this.heldClose = undefined
        // A dial that was already under way when the network went silent opens into silence.
        ws.once('open', () => { if (this.partitioned === 'silent' || this.dead === 'silent') ws.pause() })
        // A silent network carries nothing, not even the connection's end: when the node gives up
        // on the server (its link watchdog), the server must still find out by itself (heartbeat),
        // so the socket is ended only when the network heals. (On loopback the end would arrive at
        // once, racing the server's own verdict: a silent partition reported as a closed link.)
        const terminate = ws.terminate.bind(ws)
        ws.terminate = () => {
          if (this.partitioned === 'silent' && this.ws === ws) { this.heldClose = terminate; return }
          terminate()
        }
        ws.on('ping', (data) => this.deliver(() => { if (ws.readyState === WebSocket.OPEN) ws.pong(data) }))
      },
      canDial: () => !this.partitioned && !this.dead,
    })
    return link
  }

  private hello(): HelloMessage {
    return {
      t: 'hello', node: this.name, site: this.o.site, address: this.o.spec.address, capacity: this.o.spec.capacity,
      labels: { hollow: 'true' }, desiredVersion: this.version,
      agent: { version: VERSION, pid: process.pid, os: 'hollow' },
      ...(this.o.gateway ? { gateway: { address: this.o.gateway, healthy: true } } : {}),
      ...(this.o.runtime.registryCache ? { registryCache: { address: `${this.o.spec.address}:5000`, healthy: true } } : {}),
    }
  }

  /** Sends through the simulated link: silence and death drop, loss drops at random, latency delays (in order). */
  private deliver(send: () => void): boolean {
    if (this.partitioned === 'silent' || this.dead) { this.o.counters.dropped++; return false }
    if (this.loss > 0 && this.o.random() < this.loss) { this.o.counters.dropped++; return true }
    if (this.latencyMs <= 0 && this.jitterMs <= 0) { send(); return true }
    const now = this.clock.now()
    const due = Math.max(this.lastDue, now + this.latencyMs + this.o.random() * this.jitterMs)
    this.lastDue = due
    this.clock.setTimeout(send, due - now)
    return true
  }

  private send(msg: AgentMessage): boolean {
    if (!this.link.connected) return false
    return this.deliver(() => { if (this.link.send(msg)) this.o.counters.messagesOut++ })
  }

  private onMessage(msg: ServerMessage): void {
    if (this.partitioned === 'silent' || this.dead) return
    this.o.counters.messagesIn++
    switch (msg.t) {
      case 'welcome':
        // After (re)connecting, the server gets the full picture.
        for (const uid of this.instances.keys()) this.dirty.add(uid)
        this.flush()
        return
      case 'desired':
        this.onDesired(msg)
        return
      case 'routes':
        this.o.counters.routes++
        return
      case 'log-open':
        this.send({ t: 'log-data', req: msg.req, data: `hollow instance ${msg.uid}: simulated runtime, no output\n`, end: true })
        return
      case 'log-close':
        return
      case 'images':
        this.onImages(msg)
    }
  }

  /**
   * Hollow pre-pulls: each image asked for is "pulling", then "present" after pullDelayMs. Where it
   * would have come from is counted: a copy from the central registry itself (2 for a cache's miss).
   */
  private onImages(msg: ImagesMessage): void {
    const want = new Set(msg.pull)
    for (const image of this.pulls.keys()) if (!want.has(image)) this.pulls.delete(image)
    const report = () => this.send({ t: 'image-status', images: [...this.pulls.values()] })
    for (const image of want) {
      if (this.pulls.has(image)) continue
      this.pulls.set(image, { image, state: 'pulling' })
      this.clock.setTimeout(() => {
        if (this.pulls.get(image)?.state !== 'pulling') return
        this.pulls.set(image, { image, state: 'present' })
        this.o.counters.imagePulls++
        const cache = this.o.runtime.registryCache
        const source = cache ? msg.parent : msg.mirror ?? msg.central
        if (source && msg.central && source.replace(/^https?:\/\//, '') === msg.central.replace(/^https?:\/\//, '')) this.o.counters.centerCopies += cache ? 2 : 1
        report()
      }, this.o.runtime.pullDelayMs ?? 1000)
    }
    report()
  }

  private pulls = new Map<string, ImagePullReport>()

  private onDesired(msg: DesiredMessage): void {
    if (msg.version < this.version) {
      if (!this.staleWarned) this.o.log.warn({ node: this.name, held: this.version, offered: msg.version }, 'server offers an older desired state; kept the current one')
      this.staleWarned = true
      return
    }
    const current = { version: this.version, instances: [...this.instances.values()].map((i) => i.d) }
    const next = applyDesired(current, msg)
    if (!next) {
      this.o.counters.resyncs++
      this.send({ t: 'resync', version: this.version })
      return
    }
    this.staleWarned = false
    const diff = diffInstances(this.instances.keys(), next.instances)
    for (const uid of diff.remove) this.removeInstance(uid)
    for (const d of diff.add) this.addInstance(d)
    for (const d of next.instances) {
      const i = this.instances.get(d.uid)
      if (i) i.d = d
    }
    this.version = next.version
    if (this.send({ t: 'ack', version: next.version })) {
      this.ackedVersion = next.version
      this.o.counters.acks++
      this.o.onAck?.(this, next.version)
    }
  }

  private addInstance(d: DesiredInstance): void {
    const endpoints: Record<string, string> = {}
    for (const p of d.template.ports ?? []) endpoints[p.name] = `${this.o.spec.address}:${this.nextPort++}`
    const i: SimInstance = { d, phase: 'Pending', ready: false, restarts: 0, pid: this.nextPid++, endpoints }
    this.instances.set(d.uid, i)
    this.o.counters.instancesStarted++
    this.changed(d.uid)
    this.progress(i)
  }

  private removeInstance(uid: string): void {
    const i = this.instances.get(uid)
    if (!i) return
    i.timer?.cancel()
    this.instances.delete(uid)
    this.dirty.delete(uid)
    this.o.counters.instancesStopped++
  }

  /** Moves an instance one step towards Running and ready, after the simulated delays. */
  private progress(i: SimInstance): void {
    i.timer?.cancel()
    i.timer = undefined
    const step = (ms: number, fn: () => void) => {
      if (ms <= 0) { fn(); return }
      i.timer = this.clock.setTimeout(() => { i.timer = undefined; fn() }, ms)
    }
    if (i.phase !== 'Running') {
      step(this.o.runtime.startDelayMs, () => {
        if (this.instances.get(i.d.uid) !== i) return
        i.phase = 'Running'
        i.startedAt = new Date(this.clock.now()).toISOString()
        this.changed(i.d.uid)
        this.progress(i)
      })
    } else if (!i.ready) {
      // With a readiness probe, an agent sees the instance ready at the first probe of its startup
      // ramp after it listens (readyDelayMs after Running), as a real agent's probe would.
      const r = i.d.template.readiness
      const seen = r ? rampSeenAt((r.initialDelaySeconds ?? 0) * 1000, this.o.runtime.readyDelayMs, (r.periodSeconds ?? 5) * 1000) : this.o.runtime.readyDelayMs
      step(seen, () => {
        if (this.instances.get(i.d.uid) !== i) return
        i.ready = true
        this.changed(i.d.uid)
      })
    }
  }

  /** Simulates a crash of every instance on this node: each restarts (counted) and becomes ready again. */
  crashInstances(): void {
    for (const i of this.instances.values()) {
      i.restarts++
      i.phase = 'Starting'
      i.ready = false
      i.pid = this.nextPid++
      this.o.counters.instanceRestarts++
      this.changed(i.d.uid)
      this.progress(i)
    }
  }

  private changed(uid: string): void {
    this.dirty.add(uid)
    this.flushTimer ??= this.clock.setTimeout(() => { this.flushTimer = undefined; this.flush() }, this.o.statusBatchMs)
  }

  private flush(): void {
    if (!this.dirty.size) return
    const reports: InstanceReport[] = []
    for (const uid of this.dirty) {
      const i = this.instances.get(uid)
      if (i) reports.push(this.report(i))
    }
    if (!reports.length || this.send({ t: 'status', instances: reports })) this.dirty.clear()
  }

  private report(i: SimInstance): InstanceReport {
    return {
      uid: i.d.uid, phase: i.phase, ready: i.ready, restarts: i.restarts, endpoints: i.endpoints, pid: i.pid,
      ...(i.startedAt ? { startedAt: i.startedAt } : {}),
    }
  }

  /** Called by the fleet on its slow beat: usage travels only when it moved (an idle node stays quiet). */
  usageBeat(): void {
    if (this.dead || !this.link.connected) return
    let running = 0
    for (const i of this.instances.values()) if (i.phase === 'Running') running++
    const usage = { cpu: 20 + 150 * running, memory: (48 + 96 * running) * 1024 * 1024 }
    const key = `${usage.cpu}:${usage.memory}`
    if (key !== this.lastUsage && this.send({ t: 'status', instances: [], usage })) this.lastUsage = key
  }

  /** Cuts the network: 'closed' resets the connection (the server sees it at once); 'silent' drops everything both ways. */
  partition(mode: PartitionMode): void {
    if (this.dead) return
    this.partitioned = mode
    if (mode === 'silent') this.ws?.pause()
    else this.ws?.terminate()
  }

  heal(): void {
    if (!this.partitioned) return
    const was = this.partitioned
    this.partitioned = false
    // A connection this node gave up on ends now; otherwise whatever the server sent meanwhile is
    // read now, and a connection the server gave up on closes here.
    const held = this.heldClose
    this.heldClose = undefined
    if (held) held()
    else if (was === 'silent' && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.resume()
  }

  /** The site dies: 'closed' like a crashed process (the kernel closes the connection), 'silent' like lost power. */
  kill(mode: PartitionMode): void {
    if (this.dead) return
    this.dead = mode
    this.clock.frozen = true
    this.flushTimer?.cancel()
    this.flushTimer = undefined
    if (mode === 'silent') this.ws?.pause()
    else { this.ws?.terminate(); this.link.stop() }
  }

  /** Brings a dead node back: a fresh link, its desired document and instances as they were (re-adopted). */
  revive(): void {
    if (!this.dead) return
    this.dead = false
    this.partitioned = false
    this.clock.frozen = false
    this.ws?.terminate()
    this.heldClose = undefined
    this.link.stop()
    this.link = this.newLink()
    for (const i of this.instances.values()) this.progress(i)
    this.link.start()
  }

  stats(): NodeStats {
    let ready = 0
    for (const i of this.instances.values()) if (i.ready) ready++
    return {
      node: this.name, site: this.site, connected: this.connected, version: this.version, ackedVersion: this.ackedVersion,
      connects: this.connects, instances: this.instances.size, ready, dead: this.dead, partitioned: this.partitioned,
    }
  }

  /** Instances by uid with their phase and readiness (for tests). */
  instanceStates(): { uid: string; app: string; name: string; revision: string; phase: InstancePhase; ready: boolean; restarts: number }[] {
    return [...this.instances.values()].map((i) => ({ uid: i.d.uid, app: i.d.app, name: i.d.name, revision: i.d.revision, phase: i.phase, ready: i.ready, restarts: i.restarts }))
  }

  hasInstanceOf(app: string, revision?: string): boolean {
    for (const i of this.instances.values()) if (i.d.app === app && (revision === undefined || i.d.revision === revision)) return true
    return false
  }

  stop(): void {
    this.clock.frozen = true
    this.flushTimer?.cancel()
    for (const i of this.instances.values()) i.timer?.cancel()
    this.heldClose?.()
    this.heldClose = undefined
    this.link.stop()
  }
}

export interface NodeStats {
  node: string
  site: string
  connected: boolean
  version: number
  ackedVersion: number
  connects: number
  instances: number
  ready: number
  dead: false | PartitionMode
  partitioned: false | PartitionMode
}
