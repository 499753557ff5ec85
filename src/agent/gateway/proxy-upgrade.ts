// Upgrade (WebSocket) pass-through: the handshake goes to an endpoint picked like any request (or
// overflows to a fallback gateway), then bytes are piped both ways until either side closes.
// The endpoint counts as outstanding until its handshake answer arrives.
import type { IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Miss } from './balancer.js'
import type { GatewayContext } from './context.js'
import type { RequestHead } from './headers.js'
import { signPeer, PEER_HEADER } from './peer-proof.js'
import { HOPS_HEADER, nextHop, OVERFLOW_FROM_HEADER, overflowTargets, parseChain, parseHops, type Fallback } from './hops.js'
import { parseHostPort } from './host.js'
import { sendRawError, type GatewayError } from './responses.js'
import type { HostStats } from './traffic-stats.js'
import type { GatewayRoute } from './types.js'

export interface UpgradeInput {
  req: IncomingMessage
  socket: Socket
  head: Buffer
  route: GatewayRoute
  host: string
  path: string
  stats: HostStats
  requestHead: RequestHead
  clientIp: string
  /** Sockets piped after a successful handshake, so stop() can close them. */
  live: Set<Socket>
}

export class UpgradeExchange {
  private firstTried = ''
  private localAttempts = 0
  private miss: Miss | undefined
  private fallbacks: Fallback[] | 'hop-limit' | undefined
  private fallbackIdx = 0
  private lastError: { target: string; code: string } | undefined
  private overflowCounted = false
  private done = false

  constructor(private readonly ctx: GatewayContext, private readonly x: UpgradeInput) {}

  start(): void {
    this.ctx.counters.upgrades++
    this.x.socket.once('close', this.onClientClose)
    this.x.socket.on('error', this.onClientError)
    this.tryLocal()
  }

  private readonly onClientClose = (): void => { this.done = true }
  private readonly onClientError = (): void => { this.x.socket.destroy() }

  private tryLocal(): void {
    const p = this.ctx.balancer.pick(this.x.host, this.x.route.endpoints, this.firstTried || undefined)
    if (typeof p === 'object') return this.connectTo(p.address, false)
    if (p === 'saturated') this.x.stats.saturated = true
    this.miss = this.localAttempts > 0 && p === 'none' ? 'failing' : p
    this.tryForward()
  }

  private tryForward(): void {
    const rh = this.x.requestHead
    this.fallbacks ??= overflowTargets(this.x.route.fallbacks, {
      site: this.ctx.site, hops: parseHops(rh.hops), maxHops: this.ctx.limits.maxHops, chain: parseChain(rh.overflowFrom),
    })
    if (this.fallbacks !== 'hop-limit') {
      while (this.fallbackIdx < this.fallbacks.length) {
        const f = this.fallbacks[this.fallbackIdx++]
        if (!this.ctx.balancer.isCooling(f.gateway)) return this.connectTo(f.gateway, true)
      }
    }
    this.x.stats.errors++
    this.ctx.counters.errors++
    const e: GatewayError = this.lastError
      ? { status: 502, code: 'bad_gateway', message: `upgrade to ${this.lastError.target} failed: ${this.lastError.code}` }
      : this.fallbacks === 'hop-limit' && this.x.route.fallbacks.length > 0
        ? { status: 503, code: 'hop_limit', message: `site ${this.ctx.site} cannot serve ${this.x.host} and the request already crossed ${parseHops(rh.hops)} gateways; not forwarded again` }
        : { status: 503, code: this.miss === 'saturated' ? 'site_saturated' : 'no_ready_instance', retryAfter: 1,
            message: `no instance of ${this.x.host} in site ${this.ctx.site} can take the connection (${this.miss ?? 'none'}) and no other site can` }
    sendRawError(this.x.socket, e, this.ctx.site)
  }

  private connectTo(address: string, forwarding: boolean): void {
    if (this.done) return
    let hostPort: { host: string; port: number }
    try {
      hostPort = parseHostPort(address)
    } catch {
      this.lastError = { target: address, code: 'bad address' }
      return forwarding ? this.tryForward() : this.tryLocal()
    }
    const b = this.ctx.balancer
    if (!forwarding) {
      b.acquire(address)
      this.localAttempts++
      if (!this.firstTried) this.firstTried = address
    } else if (!this.overflowCounted) {
      this.overflowCounted = true
      this.x.stats.overflowed++
      this.ctx.counters.overflowed++
    }
    let held = !forwarding
    const release = () => { if (held) { held = false; b.release(address) } }
    const up = connect({ host: hostPort.host, port: hostPort.port })
    up.setNoDelay(true)
    up.setTimeout(this.ctx.limits.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })))
    const onConnectError = (err: NodeJS.ErrnoException) => {
      release()
      b.markFailed(address)
      this.lastError = { target: address, code: err.code ?? err.message }
      if (this.done) return
      if (!forwarding && this.localAttempts < 2) return this.tryLocal()
      this.tryForward()
    }
    up.once('error', onConnectError)
    up.once('connect', () => {
      up.off('error', onConnectError)
      up.setTimeout(0)
      const client = this.x.socket
      if (this.done || client.destroyed) {
        release()
        up.destroy()
        return
      }
      up.write(this.serializeHead(forwarding))
      if (this.x.head.length) up.write(this.x.head)
      client.setTimeout(0)
      client.setNoDelay(true)
      this.x.live.add(client)
      up.once('data', release)
      const teardown = () => {
        release()
        this.x.live.delete(client)
        up.destroy()
        client.destroy()
      }
      up.on('error', teardown)
      client.on('error', teardown)
      up.once('close', teardown)
      client.once('close', teardown)
      up.pipe(client)
      client.pipe(up)
    })
  }

  private serializeHead(forwarding: boolean): string {
    const rh = this.x.requestHead
    let s = `${this.x.req.method} ${this.x.path} HTTP/1.1\r\n`
    const base = rh.base
    for (let i = 0; i < base.length; i += 2) s += `${base[i]}: ${base[i + 1]}\r\n`
    const xff = rh.forwardedFor ? `${rh.forwardedFor}, ${this.x.clientIp}` : this.x.clientIp
    s += `x-forwarded-for: ${xff}\r\n`
    if (forwarding) {
      const next = nextHop(parseHops(rh.hops), rh.overflowFrom, this.ctx.site)
      s += `${HOPS_HEADER}: ${next.hops}\r\n${OVERFLOW_FROM_HEADER}: ${next.from}\r\n`
      const id = this.ctx.table.peerIdentity?.()
      if (id) s += `${PEER_HEADER}: ${signPeer(id, xff, this.ctx.clock.now())}\r\n`
    } else if (rh.overflowFrom) {
      s += `${OVERFLOW_FROM_HEADER}: ${rh.overflowFrom}\r\n`
    }
    return s + '\r\n'
  }
}
