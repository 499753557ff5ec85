// DnsServer options and their validation into the resolved configuration the query path reads.
// Bad options fail at start-up with a typed error naming the field, never at query time.
import { isIP } from 'node:net'
import { ApiError } from '../../api/errors.js'
import type { Logger } from '../../lib/log.js'
import type { DnsAnswerSource } from '../types.js'
import { canonicalName, inZone, isHostName } from './names.js'

export interface SoaFields {
  mname: string
  rname: string
  serial: number
  refresh: number
  retry: number
  expire: number
  /** Negative-caching TTL (RFC 2308): NXDOMAIN and NODATA answers carry the SOA with this TTL. */
  minimum: number
}

export interface DnsServerOptions {
  /** The zone we are authoritative for, e.g. `edge.test`. */
  zone: string
  source: DnsAnswerSource
  /** TTL of A/AAAA answers in seconds. Short, so a failover reaches clients quickly. Default 5. */
  ttl?: number
  /** TTL of the zone's own records (SOA, NS and the name servers' addresses). Default 300. */
  staticTtl?: number
  /** Default `['ns1.<zone>']`. */
  nsNames?: string[]
  /** With one name server it gets all addresses; with several, nsAddresses[i] belongs to nsNames[i]. */
  nsAddresses?: string[]
  /** Defaults: mname = first NS name, rname = hostmaster.<zone>, serial 1, 3600/600/86400, minimum = ttl. */
  soa?: Partial<SoaFields>
  log?: Logger
  /** The EDNS UDP payload size we advertise and the cap on any UDP response. Default 1232 (DNS flag day 2020). */
  maxUdpPayload?: number
  /** Queries larger than this are dropped (UDP) or end the connection (TCP). Default 4096. */
  maxQuerySize?: number
  /** An idle TCP connection is closed after this long (RFC 7766 asks for seconds, not minutes). Default 10 s. */
  tcpIdleTimeoutMs?: number
  /** Connections beyond this are refused. Default 1024. */
  maxTcpConnections?: number
}

export interface NsHost { a: string[]; aaaa: string[] }

export interface DnsConfig {
  zone: string
  source: DnsAnswerSource
  ttl: number
  staticTtl: number
  nsNames: string[]
  /** In-zone name server names (canonical) → their addresses, answered by us, not by the source. */
  nsHosts: Map<string, NsHost>
  soa: SoaFields
  maxUdpPayload: number
  maxQuerySize: number
  tcpIdleTimeoutMs: number
  maxTcpConnections: number
}

function invalid(field: string, message: string): ApiError {
  return new ApiError('Invalid', `dns ${field}: ${message}`, { causes: [{ field, message }] })
}

function int(field: string, v: number | undefined, def: number, min: number, max: number): number {
  const n = v ?? def
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(field, `must be an integer from ${min} to ${max}, not ${v}`)
  return n
}

function hostName(field: string, name: string): string {
  const n = canonicalName(name)
  if (!isHostName(n)) throw invalid(field, `"${name}" is not a DNS host name (letters, digits, "-", "_" and dots)`)
  return n
}

export function resolveDnsOptions(o: DnsServerOptions): DnsConfig {
  const zone = hostName('zone', o.zone ?? '')
  if (!o.source || typeof o.source.answer !== 'function') throw invalid('source', 'an answer source (the routing table) is required')
  const ttl = int('ttl', o.ttl, 5, 0, 2 ** 31 - 1)
  const staticTtl = int('staticTtl', o.staticTtl, 300, 0, 2 ** 31 - 1)
  const nsNames = (o.nsNames ?? [`ns1.${zone}`]).map((n) => hostName('nsNames', n))
  if (nsNames.length === 0) throw invalid('nsNames', 'at least one name server name is required')

  const nsHosts = new Map<string, NsHost>()
  const addrs = o.nsAddresses ?? []
  if (addrs.length && nsNames.length > 1 && addrs.length !== nsNames.length) {
    throw invalid('nsAddresses', `give one address per name server (${nsNames.length}), or use a single name server`)
  }
  addrs.forEach((addr, i) => {
    const family = isIP(addr)
    if (!family) throw invalid('nsAddresses', `"${addr}" is not an IP address`)
    const name = nsNames.length === 1 ? nsNames[0] : nsNames[i]
    if (!inZone(name, zone)) throw invalid('nsAddresses', `name server ${name} is outside zone ${zone}: its address is not ours to serve`)
    const host = nsHosts.get(name) ?? { a: [], aaaa: [] }
    ;(family === 4 ? host.a : host.aaaa).push(addr)
    nsHosts.set(name, host)
  })

  const s = o.soa ?? {}
  const soa: SoaFields = {
    mname: s.mname ? hostName('soa.mname', s.mname) : nsNames[0],
    rname: s.rname ? hostName('soa.rname', s.rname) : `hostmaster.${zone}`,
    serial: int('soa.serial', s.serial, 1, 0, 2 ** 32 - 1),
    refresh: int('soa.refresh', s.refresh, 3600, 0, 2 ** 31 - 1),
    retry: int('soa.retry', s.retry, 600, 0, 2 ** 31 - 1),
    expire: int('soa.expire', s.expire, 86400, 0, 2 ** 31 - 1),
    // Negative answers are cached no longer than positive ones: a new app host resolves within one TTL.
    minimum: int('soa.minimum', s.minimum, ttl, 0, 2 ** 31 - 1),
  }

  return {
    zone, source: o.source, ttl, staticTtl, nsNames, nsHosts, soa,
    maxUdpPayload: int('maxUdpPayload', o.maxUdpPayload, 1232, 512, 65535),
    maxQuerySize: int('maxQuerySize', o.maxQuerySize, 4096, 512, 65535),
    tcpIdleTimeoutMs: int('tcpIdleTimeoutMs', o.tcpIdleTimeoutMs, 10_000, 1, 3_600_000),
    maxTcpConnections: int('maxTcpConnections', o.maxTcpConnections, 1024, 1, 1_000_000),
  }
}
