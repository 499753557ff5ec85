// DnsServer options and their validation into the resolved configuration the query path reads.
// Bad options fail at start-up with a typed error naming the field, never at query time.
import { isIP } from 'node:net'
import { ApiError } from '../../api/errors.js'
import type { PacketOpt } from 'dns-packet'
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
  /**
   * The zone's name servers with their addresses (in-zone names get them answered as A/AAAA and sent
   * as glue). Takes precedence over nsNames/nsAddresses. Default: `ns1.<zone>` without address.
   */
  nameServers?: NameServer[]
  /** Default `['ns1.<zone>']`. */
  nsNames?: string[]
  /** With one name server it gets all addresses; with several, nsAddresses[i] belongs to nsNames[i]. */
  nsAddresses?: string[]
  /** Defaults: mname = first NS name, rname = hostmaster.<zone>, serial 1, 3600/600/86400, minimum = ttl. */
  soa?: Partial<SoaFields>
  /**
   * The SOA serial read at answer time (e.g. the time of the last change of the answers), so
   * monitoring and secondaries see the zone change. Overrides soa.serial.
   */
  serial?: () => number
  /** Answered to clients that ask for it (RFC 5001 NSID), e.g. which replica this is. Default: none. */
  nsid?: string
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

export interface NameServer { name: string; addresses?: string[] }

export interface DnsConfig {
  zone: string
  source: DnsAnswerSource
  ttl: number
  staticTtl: number
  nsNames: string[]
  /** In-zone name server names (canonical) → their addresses, answered by us, not by the source. */
  nsHosts: Map<string, NsHost>
  soa: SoaFields
  serial?: () => number
  /** The NSID option we answer with, encoded once. */
  nsid?: PacketOpt
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
  const servers = o.nameServers ?? legacyNameServers(zone, o.nsNames, o.nsAddresses)
  const field = o.nameServers ? 'nameServers' : 'nsNames'
  const nsNames: string[] = []
  const nsHosts = new Map<string, NsHost>()
  for (const ns of servers) {
    const name = hostName(field, ns.name)
    if (!nsNames.includes(name)) nsNames.push(name)
    for (const addr of ns.addresses ?? []) {
      const family = isIP(addr)
      if (!family) throw invalid(o.nameServers ? 'nameServers' : 'nsAddresses', `"${addr}" is not an IP address`)
      if (!inZone(name, zone)) throw invalid(o.nameServers ? 'nameServers' : 'nsAddresses', `name server ${name} is outside zone ${zone}: its address is not ours to serve`)
      const host = nsHosts.get(name) ?? { a: [], aaaa: [] }
      const list = family === 4 ? host.a : host.aaaa
      if (!list.includes(addr)) list.push(addr)
      nsHosts.set(name, host)
    }
  }
  if (nsNames.length === 0) throw invalid(field, 'at least one name server name is required')

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
    zone, source: o.source, ttl, staticTtl, nsNames, nsHosts, soa, serial: o.serial, nsid: nsidOption(o.nsid),
    maxUdpPayload: int('maxUdpPayload', o.maxUdpPayload, 1232, 512, 65535),
    maxQuerySize: int('maxQuerySize', o.maxQuerySize, 4096, 512, 65535),
    tcpIdleTimeoutMs: int('tcpIdleTimeoutMs', o.tcpIdleTimeoutMs, 10_000, 1, 3_600_000),
    maxTcpConnections: int('maxTcpConnections', o.maxTcpConnections, 1024, 1, 1_000_000),
  }
}

/** The older pair of options: one address per name, or every address to a single name. */
function legacyNameServers(zone: string, names: string[] | undefined, addrs: string[] = []): NameServer[] {
  const list = names ?? [`ns1.${zone}`]
  if (addrs.length && list.length > 1 && addrs.length !== list.length) {
    throw invalid('nsAddresses', `give one address per name server (${list.length}), or use a single name server`)
  }
  return list.map((name, i) => ({ name, addresses: list.length === 1 ? addrs : addrs[i] !== undefined ? [addrs[i]] : [] }))
}

/**
 * `NAME=IP` (repeatable on the command line) → name servers, addresses grouped by name in order.
 * `NAME` alone is an out-of-zone (or address-less) name server.
 */
export function parseNameServers(specs: string[]): NameServer[] {
  const out: NameServer[] = []
  for (const spec of specs) {
    const eq = spec.indexOf('=')
    const name = (eq < 0 ? spec : spec.slice(0, eq)).trim()
    const addr = eq < 0 ? undefined : spec.slice(eq + 1).trim()
    if (!name || (addr !== undefined && !isIP(addr))) throw invalid('nameServers', `"${spec}" is not NAME=IP (e.g. ns1.edge.test=192.0.2.53)`)
    const ns = out.find((n) => n.name === name) ?? out[out.push({ name, addresses: [] }) - 1]
    if (addr) ns.addresses!.push(addr)
  }
  return out
}

/** `hostmaster@example.com` or `hostmaster.example.com` → the SOA RNAME (a mailbox as a domain name). */
export function hostmasterName(value: string): string {
  const at = value.indexOf('@')
  if (at < 0) return value
  const local = value.slice(0, at)
  if (!/^[A-Za-z0-9_-]+$/.test(local)) throw invalid('soa.rname', `"${value}": the part before @ may hold letters, digits, "-" and "_" only`)
  return `${local}.${value.slice(at + 1)}`
}

function nsidOption(id: string | undefined): PacketOpt | undefined {
  if (id === undefined) return undefined
  const data = Buffer.from(id, 'utf8')
  if (!data.length || data.length > 128) throw invalid('nsid', 'must be 1 to 128 bytes')
  return { code: 3, data } as unknown as PacketOpt
}
