// The checks every request passes before it may reach an instance, cheapest first: connection cap,
// rate limit, Host and route, body size, request target. A refusal is a GatewayError to send.
import type { IncomingMessage } from 'node:http'
import { clientPrefix } from './client-ip.js'
import type { ClientInfo, GatewayContext } from './context.js'
import type { RequestHead } from './headers.js'
import { normalizeHost } from './host.js'
import { verifyPeer } from './peer-proof.js'
import type { GatewayError } from './responses.js'
import type { TokenBuckets } from '../../lib/token-buckets.js'
import type { HostStats } from './traffic-stats.js'
import type { GatewayRoute } from './types.js'

export interface Admitted {
  host: string
  route: GatewayRoute
  stats: HostStats
  /** origin-form target for the upstream */
  path: string
}

export function admit(ctx: GatewayContext, buckets: TokenBuckets, client: ClientInfo, req: IncomingMessage, head: RequestHead): Admitted | GatewayError {
  const c = ctx.counters
  c.requests++
  const host = normalizeHost(head.host)
  const route = host ? ctx.table.lookup(host) : undefined
  const stats = route ? ctx.stats.host(host) : undefined
  if (stats) stats.requests++

  // A peer gateway is known by its address (limits.trustedPeers) or, per request, by its proof.
  const trusted = client.trusted || isPeerForward(ctx, head)
  if (client.overCap && !trusted) {
    c.rejected.connections++
    if (stats) stats.rejected++
    return { status: 429, code: 'too_many_connections', close: true, retryAfter: 1,
      message: `too many concurrent connections from ${client.ip} (limit ${ctx.limits.maxConnectionsPerIp}); reuse a keep-alive connection or retry later` }
  }
  if (!trusted) {
    const waitMs = buckets.take(client.ip)
    if (waitMs > 0) {
      c.rejected.rate++
      if (stats) stats.rejected++
      return { status: 429, code: 'rate_limited', retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
        message: `too many requests from ${client.ip}: limit ${ctx.limits.ratePerSecond}/s with bursts of ${ctx.limits.rateBurst}; retry after the Retry-After seconds` }
    }
  }
  if (!host) {
    c.rejected.badRequest++
    return { status: 400, code: 'bad_request', close: true, message: 'the request has no Host header; the site gateway routes by Host' }
  }
  if (!route || !stats) {
    if (ctx.table.size?.() === 0) {
      c.noRoutes++
      return { status: 503, code: 'no_routes', retryAfter: 5, message: `site gateway ${ctx.site} has no routes yet (its routing table is empty); retry shortly` }
    }
    c.unknownHost++
    return { status: 404, code: 'unknown_host', message: `no app is served at host "${host}" by this site gateway (${ctx.site}); check the app's traffic.host` }
  }
  if (Number.isNaN(head.contentLength)) {
    c.rejected.badRequest++
    return { status: 400, code: 'bad_request', close: true, message: 'malformed Content-Length header' }
  }
  if (head.contentLength > ctx.limits.maxBodyBytes) {
    c.rejected.bodySize++
    stats.rejected++
    return { status: 413, code: 'body_too_large', close: true,
      message: `request body of ${head.contentLength} bytes exceeds this gateway's limit of ${ctx.limits.maxBodyBytes} bytes` }
  }
  const path = originForm(req.url ?? '')
  if (path === undefined) {
    c.rejected.badRequest++
    return { status: 400, code: 'bad_request', close: true, message: 'the request target must be a path (origin form, starting with "/")' }
  }
  stats.countPrefix(trusted && head.forwardedFor ? clientPrefix(lastForwarded(head.forwardedFor)) : client.prefix)
  return { host, route, stats, path }
}

function isPeerForward(ctx: GatewayContext, head: RequestHead): boolean {
  if (head.peer === undefined || head.forwardedFor === undefined) return false
  const id = ctx.table.peerIdentity?.()
  return !!id && verifyPeer(id.ca, head.peer, head.forwardedFor, ctx.clock.now()) !== undefined
}

function originForm(url: string): string | undefined {
  if (url.charCodeAt(0) === 47 /* / */) return url
  if (/^https?:\/\//i.test(url)) {
    try {
      const u = new URL(url)
      return u.pathname + u.search
    } catch {
      return undefined
    }
  }
  return undefined
}

function lastForwarded(xff: string): string {
  const i = xff.lastIndexOf(',')
  return (i >= 0 ? xff.slice(i + 1) : xff).trim()
}
