// What the site gateway routes by and what it reports. The agent keeps a GatewayTable current from
// the server's routes document (persisted, so the gateway keeps serving offline) and from its own
// instances' readiness; the gateway only reads it.
import type { PeerIdentity } from './peer-proof.js'

export interface GatewayEndpoint {
  /** Instance identity (namespace/name). */
  id: string
  /** host:port of the instance's traffic port. */
  address: string
  ready: boolean
}

export interface GatewayRoute {
  host: string
  /** Instances of the app in this site. */
  endpoints: GatewayEndpoint[]
  /** Gateways (host:port) of the next-best sites for this host, best first, for overflow. */
  fallbacks: { site: string; gateway: string }[]
}

export interface GatewayTable {
  lookup(host: string): GatewayRoute | undefined
  /**
   * Optional: how many routes the table holds. When it says 0 the gateway answers 503 "no routes yet"
   * instead of 404 "unknown host" (a gateway that has not received its table is not the user's fault).
   */
  size?(): number
  /** Optional: this gateway's peer identity, to prove forwards to other gateways and check theirs. */
  peerIdentity?(): PeerIdentity | undefined
}

/** Per host, what happened since the last report. */
export interface TrafficReport {
  host: string
  /** Every request for the host in the interval, refused ones included. */
  requests: number
  /**
   * 5xx from instances or failed connections (the gateway's own 502/503/504 when no instance or
   * site could take a request count here too).
   */
  errors: number
  /** Requests forwarded to another site's gateway. */
  overflowed: number
  /** Requests refused by L7 protection (429, 413, 408, 431). */
  rejected: number
  latencyMs: { p50: number; p99: number }
  /** Requests in flight at report time. */
  inflight: number
  /** Request counts by client address prefix (/24 IPv4, /48 IPv6), top entries only. */
  byPrefix: Record<string, number>
  /** True when every local endpoint was at its in-flight limit at some point in the interval. */
  saturated: boolean
}
