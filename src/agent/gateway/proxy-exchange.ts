// One proxied HTTP request: pick a local endpoint (least outstanding), retry once elsewhere when
// that is safe, overflow to the fallback gateways when the site cannot serve, and stream the
// response back. The exchange is itself the undici dispatch handler, speaking undici's core handler
// protocol (onConnect/onHeaders/onData/onComplete/onError): it gets the raw response headers and
// hands them to writeHead as a flat list, with no wrapper objects or header parsing per request.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Miss } from './balancer.js'
import type { GatewayContext } from './context.js'
import type { RequestHead } from './headers.js'
import { responseHeaders } from './headers.js'
import { signPeer, PEER_HEADER } from './peer-proof.js'
import { HOPS_HEADER, nextHop, OVERFLOW_FROM_HEADER, overflowTargets, parseChain, parseHops, type Fallback } from './hops.js'
import { RequestBody } from './request-body.js'
import { sendError, type GatewayError } from './responses.js'
import type { HostStats } from './traffic-stats.js'
import type { GatewayRoute } from './types.js'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])
/** Errors that mean the upstream never saw the request. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'])
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

export interface ExchangeInput {
  req: IncomingMessage
  res: ServerResponse
  route: GatewayRoute
  host: string
  path: string
  stats: HostStats
  head: RequestHead
  clientIp: string
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  private readonly t0: number
  private readonly method: string
  private readonly xff: string
  private readonly hasBody: boolean
  private body: RequestBody | null = null
  private abortUpstream: ((err: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  private target = ''
  private forwarding = false
  private holding = ''
  private firstTried = ''
  private localAttempts = 0
  private lastResort = false
  private miss: Miss | undefined
  private fallbacks: Fallback[] | 'hop-limit' | undefined
  private fallbackIdx = 0
  private overflowCounted = false
  private lastError: Error | undefined
  private status = 0
  private clientGone = false
  private waitingDrain = false
  private baseLength = -1
  private badResponse = false
  private done = false

  constructor(private readonly ctx: GatewayContext, private readonly x: ExchangeInput) {
    this.t0 = ctx.hrnow()
    this.method = x.req.method ?? 'GET'
    this.xff = x.head.forwardedFor ? `${x.head.forwardedFor}, ${x.clientIp}` : x.clientIp
    this.hasBody = x.head.chunked || x.head.contentLength > 0
  }

  start(): void {
    this.x.stats.inflight++
    this.x.res.on('close', this.onResClose)
    this.tryLocal()
  }

  // ---- choosing where to send -------------------------------------------------------------

  private tryLocal(): void {
    const p = this.ctx.balancer.pick(this.x.host, this.x.route.endpoints, this.firstTried || undefined)
    if (typeof p === 'object') return this.dispatch(p.address, false)
    if (p === 'saturated') this.x.stats.saturated = true
    this.miss = this.localAttempts > 0 && p === 'none' ? 'failing' : p
    this.tryForward()
  }

  private tryForward(): void {
    if (this.fallbacks === undefined) {
      this.fallbacks = overflowTargets(this.x.route.fallbacks, {
        site: this.ctx.site, hops: parseHops(this.x.head.hops), maxHops: this.ctx.limits.maxHops,
        chain: parseChain(this.x.head.overflowFrom),
      })
    }
    if (this.fallbacks !== 'hop-limit') {
      while (this.fallbackIdx < this.fallbacks.length) {
        const f = this.fallbacks[this.fallbackIdx++]
        if (this.ctx.balancer.isCooling(f.gateway)) continue
        return this.dispatch(f.gateway, true)
      }
    }
    // Nothing to forward to: rather than fail, try a local endpoint that is cooling down.
    if (this.miss === 'failing' && this.localAttempts === 0 && !this.lastResort) {
      this.lastResort = true
      const p = this.ctx.balancer.pick(this.x.host, this.x.route.endpoints, this.target || undefined, true)
      if (typeof p === 'object') return this.dispatch(p.address, false)
    }
    this.fail()
  }

  private dispatch(address: string, forwarding: boolean): void {
    this.target = address
    this.forwarding = forwarding
    this.abortUpstream = null
    this.resumeUpstream = null
    // The scanned header list is this exchange's own: extend it in place, trimmed back on a retry.
    const headers = this.x.head.base
    if (this.baseLength < 0) this.baseLength = headers.length
    else headers.length = this.baseLength
    headers.push('x-forwarded-for', this.xff)
    if (forwarding) {
      const next = nextHop(parseHops(this.x.head.hops), this.x.head.overflowFrom, this.ctx.site)
      headers.push(HOPS_HEADER, next.hops, OVERFLOW_FROM_HEADER, next.from)
      const id = this.ctx.table.peerIdentity?.()
      if (id) headers.push(PEER_HEADER, signPeer(id, this.xff, this.ctx.clock.now()))
      if (!this.overflowCounted) {
        this.overflowCounted = true
        this.x.stats.overflowed++
        this.ctx.counters.overflowed++
      }
    } else {
      if (this.x.head.overflowFrom) headers.push(OVERFLOW_FROM_HEADER, this.x.head.overflowFrom)
      this.ctx.balancer.acquire(address)
      this.holding = address
      this.localAttempts++
      if (!this.firstTried) this.firstTried = address
    }
    this.body = this.hasBody ? new RequestBody(this.x.req, this.ctx.limits.maxBodyBytes) : null
    try {
      this.ctx.pools.get(address).dispatch({
        path: this.x.path, method: this.method as Dispatcher.HttpMethod, headers, body: this.body,
        idempotent: this.body === null && IDEMPOTENT.has(this.method), upgrade: null,
      }, this)
    } catch (err) {
      this.failed(err as Error)
    }
  }

  // ---- undici handler -------------------------------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort
    if (this.clientGone) abort(new Error('client closed the connection'))
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true // 1xx: informational, not forwarded
    this.status = statusCode
    this.resumeUpstream = resume
    if (statusCode >= 500) this.countError()
    try {
      this.x.res.writeHead(statusCode, responseHeaders(rawHeaders, this.forwarding ? undefined : this.ctx.site))
    } catch (err) {
      // A header Node refuses to send (invalid characters): the answer is a 502, not a retry.
      this.badResponse = true
      this.abortUpstream?.(Object.assign(new Error(`invalid response header: ${(err as Error).message}`), { code: 'EDGEPLANE_BAD_RESPONSE' }))
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.x.res.write(chunk)) return true
    if (!this.waitingDrain) {
      this.waitingDrain = true
      this.x.res.once('drain', this.onDrain)
    }
    return false
  }

  onComplete(): void {
    this.release()
    if (this.done) return
    this.x.res.end()
    this.x.stats.latency.record(this.ctx.hrnow() - this.t0)
    this.ctx.counters.proxied++
    this.finish()
  }

  onError(err: Error): void {
    try {
      this.failed(err)
    } catch (e) {
      // Never throw back into undici (it would emit 'error' on the pool): cut the client off.
      this.ctx.log.error({ err: e, host: this.x.host }, 'gateway failed to answer an upstream error')
      this.x.res.destroy()
      this.finish()
    }
  }

  private failed(err: Error): void {
    this.release()
    if (this.done) return
    const res = this.x.res
    if (this.clientGone) return this.finish()
    if (this.body?.overLimit) {
      this.x.stats.rejected++
      this.ctx.counters.rejected.bodySize++
      return this.reply({ status: 413, code: 'body_too_large', close: true,
        message: `request body exceeds this gateway's limit of ${this.ctx.limits.maxBodyBytes} bytes` })
    }
    if (res.headersSent) {
      // The response had started: nothing to retry, cut the client off so it sees the truncation.
      res.destroy()
      this.countError()
      return this.finish()
    }
    this.lastError = err
    const code = (err as { code?: string }).code ?? ''
    const connectFailed = CONNECT_ERRORS.has(code)
    if (connectFailed || TIMEOUTS.has(code)) this.markFailed(code)
    const replayable = this.body === null || !this.body.started
    if (this.badResponse || !replayable || !(connectFailed || IDEMPOTENT.has(this.method))) return this.fail()
    if (!this.forwarding) {
      if (this.localAttempts < 2 && !this.lastResort) return this.tryLocal()
      return this.tryForward()
    }
    if (connectFailed) return this.tryForward()
    this.fail()
  }

  // ---- endings --------------------------------------------------------------------------

  private fail(): void {
    this.countError()
    this.reply(this.failure())
  }

  private failure(): GatewayError {
    const err = this.lastError
    if (err) {
      const code = (err as { code?: string }).code ?? err.name
      const what = this.forwarding ? `fallback gateway ${this.target}` : `instance ${this.target}`
      if (TIMEOUTS.has(code)) return { status: 504, code: 'gateway_timeout', message: `${what} did not answer in time (${code})` }
      return { status: 502, code: 'bad_gateway', message: `${what} failed: ${code}${err.message ? ` (${err.message})` : ''}` }
    }
    if (this.fallbacks === 'hop-limit' && this.x.route.fallbacks.length > 0) {
      this.ctx.counters.hopLimit++
      return { status: 503, code: 'hop_limit', retryAfter: 1,
        message: `site ${this.ctx.site} cannot serve ${this.x.host} (${this.miss ?? 'none'}) and the request already crossed ${parseHops(this.x.head.hops)} gateways (max ${this.ctx.limits.maxHops}); not forwarded again` }
    }
    switch (this.miss) {
      case 'saturated':
        return { status: 503, code: 'site_saturated', retryAfter: 1,
          message: `every instance of ${this.x.host} in site ${this.ctx.site} is at its in-flight limit and no other site can take the request` }
      case 'failing':
        return { status: 502, code: 'instances_failing', message: `every instance of ${this.x.host} in site ${this.ctx.site} is failing and no other site can take the request` }
      default:
        return { status: 503, code: 'no_ready_instance', retryAfter: 1,
          message: `no ready instance of ${this.x.host} in site ${this.ctx.site} and no other site can take the request` }
    }
  }

  private reply(e: GatewayError): void {
    sendError(this.x.res, e, this.ctx.site)
    this.finish()
  }

  private countError(): void {
    this.x.stats.errors++
    this.ctx.counters.errors++
  }

  private markFailed(code: string): void {
    const b = this.ctx.balancer
    if (!b.isCooling(this.target)) {
      this.ctx.log.warn({ target: this.target, host: this.x.host, code, fallback: this.forwarding }, 'upstream failed; cooling down')
    }
    b.markFailed(this.target)
  }

  private release(): void {
    if (this.holding) {
      this.ctx.balancer.release(this.holding)
      this.holding = ''
    }
  }

  private finish(): void {
    if (this.done) return
    this.done = true
    this.release()
    this.x.stats.inflight--
  }

  private readonly onDrain = (): void => {
    this.waitingDrain = false
    this.resumeUpstream?.()
  }

  private readonly onResClose = (): void => {
    if (this.done) return
    this.clientGone = true
    if (this.abortUpstream) this.abortUpstream(new Error('client closed the connection'))
    else this.finish()
  }
}
