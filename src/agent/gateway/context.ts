// What one gateway's request handlers share: configuration, routing state, pools and counters.
import type { Logger } from '../../lib/log.js'
import type { Clock } from '../../lib/clock.js'
import type { Balancer } from './balancer.js'
import type { GatewayLimits } from './options.js'
import type { TrafficStats } from './traffic-stats.js'
import type { GatewayTable } from './types.js'
import type { UpstreamPools } from './upstream-pools.js'

/** Cumulative counters since start (also what no host can be charged with: 408 on headers, 431, 400). */
export interface GatewayCounters {
  requests: number
  proxied: number
  overflowed: number
  upgrades: number
  errors: number
  unknownHost: number
  noRoutes: number
  hopLimit: number
  rejected: { rate: number; connections: number; headerSize: number; bodySize: number; timeout: number; badRequest: number }
}

export function newCounters(): GatewayCounters {
  return {
    requests: 0, proxied: 0, overflowed: 0, upgrades: 0, errors: 0, unknownHost: 0, noRoutes: 0, hopLimit: 0,
    rejected: { rate: 0, connections: 0, headerSize: 0, bodySize: 0, timeout: 0, badRequest: 0 },
  }
}

/** Per connection: who the peer is, decided once when it connects. */
export interface ClientInfo {
  ip: string
  prefix: string
  /** Opened beyond the per-IP connection cap: every request on it gets 429 and the socket closes. */
  overCap: boolean
  /** A trusted peer gateway: exempt from per-IP limits; its x-forwarded-for is believed. */
  trusted: boolean
}

export interface GatewayContext {
  site: string
  limits: GatewayLimits
  table: GatewayTable
  balancer: Balancer
  pools: UpstreamPools
  stats: TrafficStats
  counters: GatewayCounters
  clock: Clock
  /** Monotonic milliseconds with sub-millisecond precision, for latency. */
  hrnow: () => number
  log: Logger
}
