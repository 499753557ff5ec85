// The server end of agent links: one session per node, authenticated by the node's credential.
// It registers the node, pushes the node's desired document (deltas when it can), takes acks and
// status batches, relays logs, and tracks link health (last seen, bytes) for the node lifecycle.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { ApiError } from '../../api/errors.js'
import type { Instance } from '../../api/kinds/index.js'
import { decodeAgentMessage, LINK_ADMISSION_RATE, sendLinkText, type AgentMessage, type HelloMessage, type RoutesMessage, type ServerMessage, type TrafficReportMessage } from '../../api/link.js'
import { isoNow, type Clock, type TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import type { Store } from '../../store/types.js'
import type { Principal } from '../auth/token-service.js'
import type { LogOptions, LogStreamer } from '../http/logs.js'
import type { DesiredIndex } from './desired-index.js'
import { registerNode, registerSite, type Known } from './registration.js'
import { Admission } from './admission.js'
import type { StatusWriter } from './status-writer.js'
import type { IssuedGrant, PeerGrants } from './peer-grants.js'
import type { LinkStats, LinkView } from '../../controllers/node-lifecycle.js'
import type { ImageDistribution } from '../images/distribution.js'


export interface LinkHubOptions {
  store: Store
  clock: Clock
  log: Logger
  index: DesiredIndex
  status: StatusWriter
  heartbeatSeconds: number
  /** How long an agent has to send hello after connecting. */
  helloTimeoutMs?: number
  /** Hellos admitted per second (a reconnect storm is let in at this pace). */
  admissionRate?: number
  /**
   * The node lifecycle's grace (a connected node not heard from for this long goes NotReady). With
   * it, a link that talked both ways within the last quarter interval is not pinged (its word is at
   * most 1.25 intervals old at its next ping): only if the grace leaves half an interval over that.
   */
  graceMs?: number
  /** Routes pushes to gateways are at most this often (default 250 ms). */
  routesIntervalMs?: number
  /** A push runs in slices of this much CPU time, the loop serving others between them (default 10 ms). */
  routesSliceMs?: number
  /** The routes document for the gateway of a node in `site` (sent to nodes that run one). */
  routesFor?: (site: string) => RoutesMessage['routes']
  /** Issues each gateway node its peer key and certificate, sent with the routes (gateways prove forwards to each other with them). */
  peerGrants?: PeerGrants
  /** Events about nodes (a refused gateway, a refused link message). */
  events?: { record(obj: { kind: string; metadata: { name: string; namespace?: string } }, type: 'Normal' | 'Warning', reason: string, message: string): void }
  /** The server's cached Sites and Nodes: a known agent's hello reads nothing from the store. */
  known?: Known
  /** What a site's gateway saw (load, saturation, demand). */
  onTraffic?: (site: string, reports: TrafficReportMessage[], intervalSeconds: number) => void
  /** Image distribution: told of links, site caches and pulls; sends the nodes their "images" documents. */
  images?: Pick<ImageDistribution, 'linkUp' | 'linkDown' | 'cacheState' | 'imageStatus'>
}

/**
 * How long an authenticated link may take to say hello. Generous: an agent that is slow to answer
 * (a loaded machine, or thousands of agents reconnecting at once) costs a socket while it waits,
 * and closing it means the whole handshake again.
 */
const HELLO_TIMEOUT_MS = 30_000
/** A route push runs in slices of this much CPU time. */
const ROUTES_SLICE_MS = 10
/**
 * A heartbeat tick pings about this many links at most (an interval has ≥ 8 ticks): a tick holds the
 * loop ~30 ms. Not many more ticks: pongs that come back a few at a time each wake the loop.
 */
const PINGS_PER_TICK = 1000
/** Spreads links evenly over the ticks whatever their count (the fractional parts of n × φ). */
const GOLDEN = 0.6180339887498949

/** A WebSocket close reason is at most 123 bytes of UTF-8: cut on a character boundary. */
function closeReason(reason: string): string {
  let r = reason.slice(0, 120)
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1)
  return r
}

interface LogRequest { node: string; reply: FastifyReply; done: () => void }

class Session {
  helloDone = false
  sentVersion = 0
  /** The last routes document sent, to send only changes. */
  sentRoutes = ''
  routesVersion = 0
  gatewayRefused = false
  /** The peer key and certificate last sent to this gateway. */
  peer: IssuedGrant | undefined
  /** Where in the heartbeat interval this link is pinged, in [0, 1). */
  beat = 0
  /** When the server last sent on this link (anything: the agent's watchdog counts every message). */
  sentAt = -Infinity
  /** When this link was last pinged (a verdict needs a ping after the link's last word). */
  pingedAt = -Infinity
  private sockBase: { read: number; written: number }
  constructor(readonly ws: WebSocket, readonly principal: Extract<Principal, { kind: 'node' }>, readonly stats: LinkStats, private socket: { bytesRead: number; bytesWritten: number }, private clock: Clock) {
    this.sockBase = { read: socket.bytesRead, written: socket.bytesWritten }
  }

  /** Moves the socket's wire byte counters into the node's totals. */
  account(): void {
    const r = this.socket.bytesRead, w = this.socket.bytesWritten
    this.stats.bytesIn += r - this.sockBase.read
    this.stats.bytesOut += w - this.sockBase.written
    this.sockBase = { read: r, written: w }
  }

  send(msg: ServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.sendText(JSON.stringify(msg))
  }

  sendText(text: string): void {
    this.sentAt = this.clock.now()
    sendLinkText(this.ws, text)
  }
}

export class LinkHub implements LogStreamer, LinkView {
  private sessions = new Map<string, Session>()
  readonly stats = new Map<string, LinkStats>()
  private logRequests = new Map<number, LogRequest>()
  private nextReq = 1
  /** Nodes sent a desired document in this loop turn, and those with a further change since. */
  private pushedThisTurn = new Set<string>()
  private pushQueued = new Set<string>()
  private routesTimer: TimerHandle | undefined
  private routesPushedAt = 0
  private routesCost = 0
  /** A push is under way (in slices); a change meanwhile asks for another after it. */
  private routesRunning = false
  private routesAgain = false
  private closed = false
  private countersAt = -Infinity
  private heartbeat: TimerHandle | undefined
  private beatTick = 0
  private beatTicks = 8
  /** When the next heartbeat tick is due (ticks keep to this schedule, not to each other). */
  private beatDue = -Infinity
  private nextBeat = 0
  private listeners = new Set<(node: string) => void>()

  private admission: Admission

  constructor(private o: LinkHubOptions) {
    const rate = o.admissionRate ?? LINK_ADMISSION_RATE
    this.admission = new Admission({ clock: o.clock, ratePerSecond: rate, burst: rate * 2, maxConcurrent: 64, maxQueued: 20_000 })
    o.index.onChange((node) => this.queuePush(node))
    this.scheduleHeartbeat()
  }

  /** Called on any link state change (connect, disconnect), for the node lifecycle controller. */
  onLinkChange(fn: (node: string) => void): void { this.listeners.add(fn) }

  connectedCount(): number { return this.sessions.size }

  accept(ws: WebSocket, principal: Principal, socket: { bytesRead: number; bytesWritten: number }): void {
    if (principal.kind !== 'node') {
      ws.close(4403, 'a node credential is required on the link')
      return
    }
    const now = this.o.clock.now()
    const stats: LinkStats = this.stats.get(principal.node) ?? {
      node: principal.node, site: principal.site, connected: false, lastSeen: now, bytesIn: 0, bytesOut: 0, sentVersion: 0, ackedVersion: 0,
    }
    this.stats.set(principal.node, stats)
    const session = new Session(ws, principal, stats, socket, this.o.clock)
    session.beat = (this.nextBeat++ * GOLDEN) % 1
    let admitted = false
    // The verdict waits for the loop's next I/O poll: timers run before sockets are read, so on a
    // server that fell seconds behind (10,000 links in a reconnect storm) a hello already received
    // would otherwise be failed unread (982 of 10,000 links were, each a redial more).
    const helloTimer = this.o.clock.setTimeout(() => setImmediate(() => {
      if (!session.helloDone && !admitted) this.fail(session, 'no hello within the time allowed')
    }), this.o.helloTimeoutMs ?? HELLO_TIMEOUT_MS)
    ws.on('message', (data, isBinary) => {
      stats.lastSeen = this.o.clock.now()
      if (isBinary) return this.fail(session, 'binary frames are not part of the protocol')
      const msg = decodeAgentMessage(data.toString())
      if (typeof msg === 'string') return this.fail(session, msg)
      if (msg.t === 'hello') admitted = true
      this.handle(session, msg).catch((err) => {
        if (err instanceof ApiError && err.code === 'Unavailable') {
          // Not the agent's fault: ask it to come back later (1013 "try again later").
          session.ws.close(1013, err.message.slice(0, 120))
          return
        }
        this.fail(session, err instanceof ApiError ? err.message : 'internal error', err)
      })
    })
    ws.on('pong', () => { stats.lastSeen = this.o.clock.now() })
    ws.on('close', (code, why) => {
      helloTimer.cancel()
      if (code === 1009) stats.reason = 'MessageTooLarge'
      session.account()
      if (this.sessions.get(principal.node) !== session) return
      this.sessions.delete(principal.node)
      stats.connected = false
      stats.disconnectedAt = this.o.clock.now()
      stats.reason ??= 'LinkClosed'
      this.o.log.info({ node: principal.node, reason: stats.reason, code, detail: why.toString() }, 'link closed')
      this.endLogsOf(session)
      this.o.images?.linkDown(principal.node)
      this.notify(principal.node)
    })
    ws.on('error', (err) => this.o.log.debug({ err, node: principal.node }, 'link socket error'))
  }

  private fail(session: Session, reason: string, err?: unknown): void {
    this.o.log.warn({ node: session.principal.node, reason, err }, 'closing link: protocol error')
    if (this.sessions.get(session.principal.node) === session) session.stats.reason = 'ProtocolError'
    // The node is the authenticated one, so the Event is about it (repeats are counted, not stored again).
    this.o.events?.record({ kind: 'Node', metadata: { name: session.principal.node } }, 'Warning', 'LinkMessageRefused', `link closed: ${reason.slice(0, 1024)}`)
    session.ws.close(4400, closeReason(reason))
  }

  private async handle(s: Session, msg: AgentMessage): Promise<void> {
    if (!s.helloDone && msg.t !== 'hello') return this.fail(s, `expected hello first, got "${msg.t}"`)
    switch (msg.t) {
      case 'hello': return this.hello(s, msg)
      case 'ack':
        if (msg.version > s.sentVersion) return this.fail(s, `ack for version ${msg.version}, which was never sent (last sent ${s.sentVersion})`)
        s.stats.ackedVersion = msg.version
        return
      case 'resync':
        s.sentVersion = msg.version
        return this.push(s)
      case 'status':
        if (msg.usage) s.stats.usage = msg.usage
        if (msg.gateway && this.allowedGateway(s, msg.gateway)) this.setGateway(s, msg.gateway)
        if (msg.registryCache) this.o.images?.cacheState(s.principal.node, msg.registryCache)
        this.o.status.submit(s.principal.node, msg.instances)
        return
      case 'image-status':
        this.o.images?.imageStatus(s.principal.node, msg.images)
        return
      case 'traffic':
        this.o.onTraffic?.(s.principal.site, msg.reports, msg.intervalSeconds)
        return
      case 'log-data': {
        const r = this.logRequests.get(msg.req)
        if (!r || r.node !== s.principal.node) return
        if (msg.data) r.reply.raw.write(msg.data)
        if (msg.error) r.reply.raw.write(`\n[edgeplane] ${msg.error}\n`)
        if (msg.end || msg.error) r.done()
      }
    }
  }

  private async hello(s: Session, hello: HelloMessage): Promise<void> {
    if (s.helloDone) return this.fail(s, 'hello sent twice')
    const p = s.principal
    if (hello.node !== p.node) throw new ApiError('Forbidden', `this credential speaks for node "${p.node}", not "${hello.node}"`)
    if (hello.site.name !== p.site) throw new ApiError('Forbidden', `node "${p.node}" joined site "${p.site}", not "${hello.site.name}"`)
    // The server sets the edgeplane.io/ labels (site, region, provider, tier); a node does not claim them.
    const reserved = [...Object.keys(hello.labels ?? {}), ...Object.keys(hello.site.labels ?? {})].find((k) => k.startsWith('edgeplane.io/'))
    if (reserved) throw new ApiError('LinkProtocol', `invalid "hello" message: label "${reserved}": the edgeplane.io/ prefix is the server's`)
    s.helloDone = true
    const release = await this.admission.acquire()
    try {
      if (s.ws.readyState !== s.ws.OPEN) return
      await this.welcome(s, hello)
    } finally {
      release()
    }
  }

  private async welcome(s: Session, hello: HelloMessage): Promise<void> {
    const p = s.principal
    const prev = this.sessions.get(p.node)
    if (prev && prev !== s) {
      prev.stats.reason = 'Replaced'
      this.sessions.delete(p.node)
      prev.ws.close(4409, 'replaced by a newer connection of the same node')
    }
    // Connected before the Node is written, so the lifecycle never sees a new node as disconnected.
    this.sessions.set(p.node, s)
    Object.assign(s.stats, {
      connected: true, connectedAt: this.o.clock.now(), reason: undefined, lastSeen: this.o.clock.now(),
      capacity: hello.capacity, agent: hello.agent, ackedVersion: hello.desiredVersion, gateway: this.allowedGateway(s, hello.gateway),
    })
    await registerSite(this.o.store, hello, this.o.known)
    await registerNode(this.o.store, hello, this.o.known)
    s.sentVersion = hello.desiredVersion
    this.o.log.info({ node: p.node, site: p.site, version: hello.desiredVersion }, 'link up')
    s.send({ t: 'welcome', serverTime: isoNow(this.o.clock), heartbeatSeconds: this.o.heartbeatSeconds })
    this.push(s)
    this.pushRoutesTo(s)
    this.o.images?.linkUp(p.node, p.site, hello)
    this.notify(p.node)
  }

  /**
   * A gateway only on a node whose credential allows one (its join token was made with --gateway):
   * otherwise any node's credential could point DNS at an address of its choosing and be handed
   * the routes and a peer key. The rest of the node's link works; the refusal is an Event.
   */
  private allowedGateway<G>(s: Session, g: G | undefined): G | undefined {
    if (!g || s.principal.gateway) return g
    if (!s.gatewayRefused) {
      s.gatewayRefused = true
      const message = `node "${s.principal.node}" reports a gateway but its credential does not allow one; it gets no routes and no DNS answers point at it (join with a token made with "edgeplane token create --join --gateway", or re-provision the node)`
      this.o.log.warn({ node: s.principal.node }, message)
      this.o.events?.record({ kind: 'Node', metadata: { name: s.principal.node } }, 'Warning', 'GatewayNotAllowed', message)
    }
    return undefined
  }

  private setGateway(s: Session, g: NonNullable<LinkStats['gateway']>): void {
    const prev = s.stats.gateway
    s.stats.gateway = g
    if (prev?.healthy !== g.healthy || prev?.address !== g.address) {
      if (s.sentRoutes === '') this.pushRoutesTo(s)
      this.notify(s.principal.node)
    }
  }

  /**
   * Sends every gateway node its site's routes if they changed (call when the routing table
   * changed). At most every routesIntervalMs: each push computes every site's document, so a burst
   * of routing changes is sent as its last state. (A gateway learns its own instances' readiness
   * from its agent at once; what waits is the server's view of the other sites.)
   */
  pushRoutes(): void {
    if (this.routesRunning) { this.routesAgain = true; return }
    if (this.routesTimer) return
    // Started at least 10× what the last push cost apart, so pushes take at most a tenth of the time.
    const wait = this.routesPushedAt + Math.max(this.o.routesIntervalMs ?? 250, 10 * this.routesCost) - this.o.clock.now()
    const run = () => {
      this.routesTimer = undefined
      this.routesPushedAt = this.o.clock.now()
      this.routesRunning = true
      const perSite = new Map<string, string>()
      const queue = [...this.sessions.values()]
      let i = 0, cost = 0
      // In slices: 10,000 gateways' routes take about half a second, which held every ack and
      // heartbeat behind them; between slices the loop serves the rest.
      const sliceMs = this.o.routesSliceMs ?? ROUTES_SLICE_MS
      const slice = () => {
        const t0 = performance.now()
        if (i < queue.length) do this.pushRoutesTo(queue[i++], perSite); while (i < queue.length && performance.now() - t0 < sliceMs)
        cost += performance.now() - t0
        if (i < queue.length && !this.closed) { setImmediate(slice); return }
        this.routesCost = cost
        this.routesRunning = false
        if (this.routesAgain && !this.closed) { this.routesAgain = false; this.pushRoutes() }
      }
      slice()
    }
    if (wait <= 0) { run(); return }
    this.routesTimer = this.o.clock.setTimeout(run, wait)
  }

  private pushRoutesTo(s: Session, perSite = new Map<string, string>()): void {
    if (!s.stats.gateway || !s.principal.gateway || !this.o.routesFor) return
    let json = perSite.get(s.principal.site)
    if (json === undefined) {
      json = JSON.stringify(this.o.routesFor(s.principal.site))
      perSite.set(s.principal.site, json)
    }
    const renew = !!this.o.peerGrants && (!s.peer || s.peer.renewAt <= this.o.clock.now())
    if (json === s.sentRoutes && !renew) return
    if (s.ws.readyState !== s.ws.OPEN) return
    s.sentRoutes = json
    if (renew) s.peer = this.o.peerGrants!.issue(s.principal.node)
    const peer = s.peer ? `,"peer":${s.peer.json}` : ''
    s.sendText(`{"t":"routes","version":${++s.routesVersion},"routes":${json}${peer}}`)
  }

  private queuePush(node: string): void {
    const s = this.sessions.get(node)
    if (!s) return
    // The first change of a node in a loop turn goes out at once, so a change that reaches 10,000
    // nodes streams out as the store hands it over, not after all of it was handed over (the
    // agents start while the server is still busy). More changes of that node in the same turn
    // are coalesced into one message after it: two messages per node and turn at most.
    if (this.pushedThisTurn.has(node)) { this.pushQueued.add(node); return }
    if (!this.pushedThisTurn.size) setImmediate(() => this.endPushTurn())
    this.pushedThisTurn.add(node)
    this.push(s)
  }

  private endPushTurn(): void {
    this.pushedThisTurn.clear()
    const nodes = this.pushQueued
    this.pushQueued = new Set()
    for (const n of nodes) {
      const s = this.sessions.get(n)
      if (s) this.push(s)
    }
  }

  private push(s: Session): void {
    const msg = this.o.index.diff(s.principal.node, s.sentVersion)
    if (!msg) return
    s.sentVersion = msg.version
    s.stats.sentVersion = msg.version
    s.send(msg)
  }

  /**
   * A heartbeat interval runs as ticks, each pinging (and judging) its own share of the links, so
   * every link is still pinged once per interval but no tick holds the loop long: in one round,
   * 1,000 pings and their pongs held it ~30 ms every interval (session allocations at 2,000/s had
   * a p99 of 41–58 ms against 21–25 ms in ticks), 10,000 about 0.3 s. At least 8 ticks, more for a
   * large fleet (PINGS_PER_TICK); the count is fixed for each interval.
   */
  private scheduleHeartbeat(): void {
    const ms = this.o.heartbeatSeconds * 1000
    if (this.beatTick === 0) this.beatTicks = Math.max(8, Math.ceil(this.sessions.size / PINGS_PER_TICK))
    const ticks = this.beatTicks
    // Ticks keep to the interval's own schedule: each one timed from the last drifts by its
    // lateness, and on a busy server (a reconnect storm) the interval can stretch past the agents'
    // watchdog (3 intervals without a message), which redials them; so timed, the 10,000-site storm
    // took 151 s to converge (16–35 s on schedule). More than an interval behind, the schedule
    // starts again from now.
    const now = this.o.clock.now()
    this.beatDue = now - this.beatDue > ms ? now + ms / ticks : this.beatDue + ms / ticks
    const delay = Math.max(0, this.beatDue - now)
    this.heartbeat = this.o.clock.setTimeout(() => {
      const fired = this.o.clock.now()
      const tick = this.beatTick
      this.beatTick = (tick + 1) % ticks
      // This timer fired late: this process was busy, and the pongs that arrived meanwhile may not
      // have been read yet. Judge nobody this tick (a busy server must not cut thousands of healthy
      // links). Late against this timer, not the schedule: a tick that catches up runs after the
      // loop has read its sockets, and on a loaded machine every tick behind the schedule judged
      // nobody (a silent link of a test was never cut).
      const late = fired - (now + delay) > Math.min(1000, ms / 2)
      const talked = this.talkedMs(ms)
      for (const s of this.sessions.values()) {
        if (Math.floor(s.beat * ticks) !== tick) continue
        s.account()
        if (s.peer && s.peer.renewAt <= fired) this.pushRoutesTo(s)
        // A verdict needs a ping after the link's last word: a link that was not pinged because it
        // talked is never cut for the silence that followed before it was pinged.
        if (!late && fired - s.stats.lastSeen > ms * 2 && s.pingedAt > s.stats.lastSeen) {
          s.stats.reason = 'HeartbeatMissed'
          s.ws.terminate()
        } else if (fired - s.stats.lastSeen < talked && fired - s.sentAt < talked) {
          // It talked both ways a moment ago: both ends know the other is there (during a change
          // to every site, pings and pongs were a quarter of the link's messages).
        } else if (s.ws.readyState === s.ws.OPEN) {
          s.pingedAt = fired
          s.ws.ping()
        }
      }
      this.scheduleHeartbeat()
    }, delay)
  }

  /**
   * How recently a link must have talked both ways to go without this tick's ping: a quarter
   * interval, so that its word is at most 1.25 intervals old when it is next pinged, if the
   * lifecycle's grace leaves half an interval over that (else every link is pinged).
   */
  private talkedMs(ms: number): number {
    const grace = this.o.graceMs ?? 0
    return grace >= ms * 1.75 ? ms / 4 : 0
  }

  private notify(node: string): void {
    for (const l of this.listeners) l(node)
  }

  /** Relays an instance's log from its agent to an HTTP response. */
  async stream(req: FastifyRequest, reply: FastifyReply, namespace: string, name: string, opts: LogOptions, instance?: Instance): Promise<void> {
    const inst = instance ?? (await this.o.store.get<Instance>('Instance', namespace, name))
    if (!inst) throw new ApiError('NotFound', `instance "${name}" not found in namespace "${namespace}"`, { kind: 'Instance', name })
    const s = this.sessions.get(inst.spec.node)
    if (!s) throw new ApiError('Unavailable', `node "${inst.spec.node}" is not connected; its logs stay on the node until it reconnects`)
    const id = this.nextReq++
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    let finished = false
    const done = () => {
      if (finished) return
      finished = true
      this.logRequests.delete(id)
      s.send({ t: 'log-close', req: id })
      reply.raw.end()
    }
    this.logRequests.set(id, { node: inst.spec.node, reply, done })
    req.raw.on('close', done)
    s.send({ t: 'log-open', req: id, uid: inst.metadata.uid!, follow: opts.follow, ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}) })
  }

  private endLogsOf(s: Session): void {
    for (const r of [...this.logRequests.values()]) if (r.node === s.principal.node) r.done()
  }

  /** Sends a message on a node's link; false when it is not connected. */
  sendTo(node: string, msg: ServerMessage): boolean {
    const s = this.sessions.get(node)
    if (!s?.helloDone || s.ws.readyState !== s.ws.OPEN) return false
    s.send(msg)
    return true
  }

  /** A second welcome: the agent answers any welcome with every instance's status. */
  requestStatus(node: string): void {
    const s = this.sessions.get(node)
    if (s?.helloDone) s.send({ t: 'welcome', serverTime: isoNow(this.o.clock), heartbeatSeconds: this.o.heartbeatSeconds })
  }

  /**
   * Wire bytes so far, including the open connection's: of one node (before its status is
   * written), or of every link (for /metrics; at most once a second, as it reads two counters of
   * every socket).
   */
  refreshCounters(node?: string): void {
    if (node !== undefined) { this.sessions.get(node)?.account(); return }
    const now = this.o.clock.now()
    if (now - this.countersAt < 1000) return
    this.countersAt = now
    for (const s of this.sessions.values()) s.account()
  }

  close(): void {
    this.closed = true
    this.heartbeat?.cancel()
    this.routesTimer?.cancel()
    this.admission.stop()
    for (const s of this.sessions.values()) s.ws.close(1001, 'server shutting down')
  }
}
