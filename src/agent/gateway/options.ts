// The gateway's limits: every L7 protection, timeout and balancing knob in one place, with the
// defaults a site gateway starts with. All are configurable through SiteGateway's `limits`.

export interface GatewayLimits {
  /** Requests in flight per local endpoint before it counts as saturated (then overflow). */
  maxInflightPerEndpoint: number
  /** A request that arrived with this many hops (or more) is never forwarded again. */
  maxHops: number
  /** Token bucket per client IP: sustained requests per second (0 disables rate limiting). */
  ratePerSecond: number
  /** Token bucket per client IP: burst size (bucket capacity). */
  rateBurst: number
  /** Concurrent TCP connections per client IP (0 disables the cap). */
  maxConnectionsPerIp: number
  /** Request line plus headers, bytes (Node's maxHeaderSize) → 431. */
  maxHeaderBytes: number
  /** Request body, bytes (Content-Length up front, streamed bytes for chunked bodies) → 413. */
  maxBodyBytes: number
  /** Request headers must be complete within this time after the first byte (slowloris) → 408. */
  headerTimeoutMs: number
  /** The whole request (headers and body) must arrive within this time → 408. */
  requestTimeoutMs: number
  /** An idle keep-alive client connection is closed after this time. */
  keepAliveTimeoutMs: number
  /** A client socket with no traffic either way for this long is closed (0 disables). */
  idleTimeoutMs: number
  /** Connecting to an instance or a fallback gateway. */
  connectTimeoutMs: number
  /** Waiting for an upstream's response headers, and between its body chunks → 504. */
  upstreamTimeoutMs: number
  /** An endpoint that failed to connect or timed out is skipped for this long (passive health). */
  failureCooldownMs: number
  /** Keep-alive connections per upstream (instance or fallback gateway). */
  upstreamConnections: number
  /** Idle upstream keep-alive connections are closed after this time. */
  upstreamKeepAliveMs: number
  /** Client IPs whose token buckets are kept at most (oldest evicted beyond). */
  maxTrackedClients: number
  /** byPrefix entries in each report (the busiest prefixes). */
  reportTopPrefixes: number
  /** Distinct prefixes counted per host per interval (later ones only count in `requests`). */
  maxPrefixesPerInterval: number
  /** Peers (other sites' gateways) exempt from the per-IP limits; their x-forwarded-for is believed. */
  trustedPeers: string[]
}

export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  maxInflightPerEndpoint: 64,
  maxHops: 2,
  ratePerSecond: 200,
  rateBurst: 400,
  maxConnectionsPerIp: 256,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 10 * 1024 * 1024,
  headerTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 15_000,
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 2_000,
  upstreamTimeoutMs: 60_000,
  failureCooldownMs: 5_000,
  upstreamConnections: 128,
  upstreamKeepAliveMs: 30_000,
  maxTrackedClients: 100_000,
  reportTopPrefixes: 20,
  maxPrefixesPerInterval: 2_048,
  trustedPeers: [] as string[],
})

/** Fills in defaults and checks every value; throws with the field name and the fix. */
export function resolveLimits(given: Partial<GatewayLimits> = {}): GatewayLimits {
  const l: GatewayLimits = { ...DEFAULT_LIMITS, ...stripUndefined(given) }
  for (const [k, v] of Object.entries(l)) {
    if (k === 'trustedPeers') continue
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`gateway limits.${k} must be a finite number >= 0, got ${String(v)}`)
    }
  }
  const positive: (keyof GatewayLimits)[] = ['maxInflightPerEndpoint', 'maxHeaderBytes', 'headerTimeoutMs', 'connectTimeoutMs', 'upstreamConnections']
  for (const k of positive) if ((l[k] as number) <= 0) throw new Error(`gateway limits.${k} must be > 0`)
  if (l.ratePerSecond > 0 && l.rateBurst < 1) throw new Error('gateway limits.rateBurst must be >= 1 when ratePerSecond is set')
  if (l.requestTimeoutMs > 0 && l.requestTimeoutMs < l.headerTimeoutMs) {
    throw new Error('gateway limits.requestTimeoutMs must be >= headerTimeoutMs (or 0 to disable it)')
  }
  if (!Array.isArray(l.trustedPeers)) throw new Error('gateway limits.trustedPeers must be a list of IP addresses')
  return l
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
