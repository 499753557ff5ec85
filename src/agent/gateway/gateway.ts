// SiteGateway: the L7 entry of a site. Routes by Host to the site's ready instances (least
// outstanding requests), overflows to the next-best sites' gateways, proxies upgrades, enforces the
// L7 limits before anything reaches an instance, and keeps per-host traffic reports. It reads only
// its GatewayTable: no control plane on the request path (DESIGN.md principles 5 and 7).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { systemClock, type Clock, type TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import { createSmallLogger } from '../../lib/small-log.js'
import { admit } from './admission.js'
import { Balancer } from './balancer.js'
import { clientPrefix, normalizeIp } from './client-ip.js'
import { ConnectionCounter } from './connection-cap.js'
import { newCounters, type ClientInfo, type GatewayContext, type GatewayCounters } from './context.js'
import { scanRequestHead } from './headers.js'
import { formatHostPort, parseHostPort } from './host.js'
import { resolveLimits, type GatewayLimits } from './options.js'
import { ProxyExchange } from './proxy-exchange.js'
import { UpgradeExchange } from './proxy-upgrade.js'
import { sendError, sendRawError, type GatewayError } from './responses.js'
import { TokenBuckets } from '../../lib/token-buckets.js'
import { TrafficStats } from './traffic-stats.js'
import type { GatewayTable, TrafficReport } from './types.js'
import { UpstreamPools } from './upstream-pools.js'

export interface SiteGatewayOptions {
  /** 'HOST:PORT' to listen on (port 0 picks a free port; see address()). */
  listen: string
  table: GatewayTable
  /** This site's name: x-edgeplane-site on responses, x-edgeplane-overflow-from when forwarding. */
  site: string
  clock?: Clock
  limits?: Partial<GatewayLimits>
  log?: Logger
  /** Monotonic ms for latency figures (default performance.now). */
  hrnow?: () => number
}

const SWEEP_MS = 30_000

export class SiteGateway {
  readonly limits: GatewayLimits
  private readonly ctx: GatewayContext
  private readonly server: Server
  private readonly buckets: TokenBuckets
  private readonly conns: ConnectionCounter
  private readonly clients = new WeakMap<Socket, ClientInfo>()
  private readonly trusted: Set<string>
  private readonly upgraded = new Set<Socket>()
  private readonly listen: { host: string; port: number }
  private sweepTimer: TimerHandle | undefined
  private bound: string | undefined

  constructor(o: SiteGatewayOptions) {
    if (!o.site) throw new Error('SiteGateway: site is required (the name of this site)')
    this.listen = parseHostPort(o.listen)
    this.limits = resolveLimits(o.limits)
    const l = this.limits
    const clock = o.clock ?? systemClock
    this.ctx = {
      site: o.site,
      limits: l,
      table: o.table,
      balancer: new Balancer(clock, l.maxInflightPerEndpoint, l.failureCooldownMs),
      pools: new UpstreamPools({
        connections: Math.max(l.upstreamConnections, l.maxInflightPerEndpoint),
        connectTimeoutMs: l.connectTimeoutMs,
        upstreamTimeoutMs: l.upstreamTimeoutMs,
        keepAliveMs: l.upstreamKeepAliveMs,
      }),
      stats: new TrafficStats(l.reportTopPrefixes, l.maxPrefixesPerInterval),
      counters: newCounters(),
      clock,
      hrnow: o.hrnow ?? (() => performance.now()),
      log: o.log ?? createSmallLogger('gateway'),
    }
    this.buckets = new TokenBuckets(clock, l.ratePerSecond, l.rateBurst, l.maxTrackedClients)
    this.conns = new ConnectionCounter(l.maxConnectionsPerIp)
    this.trusted = new Set(l.trustedPeers.map(normalizeIp))

    this.server = createServer({
      maxHeaderSize: l.maxHeaderBytes,
      requireHostHeader: false, // answered by admission with a clear body
      requestTimeout: l.requestTimeoutMs,
      headersTimeout: l.headerTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(l.headerTimeoutMs / 4))),
      noDelay: true,
    })
    this.server.keepAliveTimeout = l.keepAliveTimeoutMs
    this.server.timeout = l.idleTimeoutMs
    this.server.on('connection', this.onConnection)
    this.server.on('request', this.onRequest)
    this.server.on('checkContinue', this.onCheckContinue)
    this.server.on('upgrade', this.onUpgrade)
    this.server.on('clientError', this.onClientError)
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.listen.port, this.listen.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.server.on('error', (err) => this.ctx.log.error({ err }, 'gateway server error'))
    const a = this.server.address()
    this.bound = a && typeof a === 'object' ? formatHostPort(a.address, a.port) : `${this.listen.host}:${this.listen.port}`
    this.scheduleSweep()
    this.ctx.log.info({ site: this.ctx.site, listen: this.bound }, 'site gateway listening')
  }

  /** Stops accepting, closes every client and upstream connection. */
  async stop(): Promise<void> {
    this.sweepTimer?.cancel()
    this.sweepTimer = undefined
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const s of this.upgraded) s.destroy()
    this.upgraded.clear()
    await Promise.all([closed, this.ctx.pools.closeAll()])
  }

  /** 'HOST:PORT' the gateway listens on (usable as another site's fallback gateway address). */
  address(): string {
    if (!this.bound) throw new Error('SiteGateway.address(): call start() first')
    return this.bound
  }

  /** Per host, what happened since the previous call. */
  drainReports(): TrafficReport[] { return this.ctx.stats.drain() }

  /** Cumulative counters since start (a copy). */
  metrics(): GatewayCounters { return structuredClone(this.ctx.counters) }

  // ---- server events ----------------------------------------------------------------------

  private readonly onConnection = (socket: Socket): void => {
    const ip = normalizeIp(socket.remoteAddress)
    const trusted = this.trusted.has(ip)
    let overCap = false
    if (!trusted && this.limits.maxConnectionsPerIp > 0) {
      overCap = !this.conns.open(ip)
      socket.once('close', () => this.conns.close(ip))
    }
    this.clients.set(socket, { ip, prefix: clientPrefix(ip), overCap, trusted })
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res, false)
  }

  private readonly onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res, true)
  }

  private handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    try {
      this.proxy(req, res, expectsContinue)
    } catch (err) {
      // A bug or a throwing table must cost one request, never the gateway.
      this.ctx.log.error({ err, url: req.url }, 'gateway request handler failed')
      this.ctx.counters.errors++
      sendError(res, { status: 500, code: 'internal_error', close: true, message: 'the site gateway failed to handle this request' }, this.ctx.site)
    }
  }

  private proxy(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const client = this.client(req.socket)
    const head = scanRequestHead(req.rawHeaders)
    const a = admit(this.ctx, this.buckets, client, req, head)
    if ('status' in a) return this.refuse(res, a)
    if (expectsContinue) res.writeContinue()
    new ProxyExchange(this.ctx, { req, res, route: a.route, host: a.host, path: a.path, stats: a.stats, head, clientIp: client.ip }).start()
  }

  private refuse(res: ServerResponse, e: GatewayError): void {
    sendError(res, e, this.ctx.site)
    if (e.close) res.req.resume() // drop the unread body so the close is clean
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    try {
      this.upgrade(req, socket, head)
    } catch (err) {
      this.ctx.log.error({ err, url: req.url }, 'gateway upgrade handler failed')
      this.ctx.counters.errors++
      sendRawError(socket, { status: 500, code: 'internal_error', message: 'the site gateway failed to handle this request' }, this.ctx.site)
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const client = this.client(socket)
    const requestHead = scanRequestHead(req.rawHeaders, true)
    const a = admit(this.ctx, this.buckets, client, req, requestHead)
    if ('status' in a) return sendRawError(socket, a, this.ctx.site)
    new UpgradeExchange(this.ctx, {
      req, socket, head, route: a.route, host: a.host, path: a.path, stats: a.stats, requestHead, clientIp: client.ip, live: this.upgraded,
    }).start()
  }

  private readonly onClientError = (err: NodeJS.ErrnoException, socket: Socket): void => {
    const code = err.code ?? ''
    const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    if (code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy()
      return
    }
    const r = this.ctx.counters.rejected
    let e: GatewayError
    if (code === 'HPE_HEADER_OVERFLOW') {
      r.headerSize++
      e = { status: 431, code: 'headers_too_large', message: `request headers exceed this gateway's limit of ${this.limits.maxHeaderBytes} bytes` }
    } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      r.timeout++
      e = { status: 408, code: 'request_timeout',
        message: `the request was not received in time (headers within ${this.limits.headerTimeoutMs} ms, whole request within ${this.limits.requestTimeoutMs} ms)` }
    } else {
      r.badRequest++
      e = { status: 400, code: 'bad_request', message: `malformed HTTP request (${code || err.message})` }
    }
    sendRawError(socket, e, this.ctx.site)
  }

  private client(socket: Socket): ClientInfo {
    let c = this.clients.get(socket)
    if (!c) {
      const ip = normalizeIp(socket.remoteAddress)
      c = { ip, prefix: clientPrefix(ip), overCap: false, trusted: this.trusted.has(ip) }
      this.clients.set(socket, c)
    }
    return c
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.ctx.clock.setTimeout(() => {
      this.ctx.pools.sweep()
      this.ctx.balancer.prune()
      this.buckets.sweep()
      this.scheduleSweep()
    }, SWEEP_MS)
  }
}
