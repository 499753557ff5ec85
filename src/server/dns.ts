// The server's authoritative DNS: options from the command line turned into the DNS server's, with
// name servers that a real parent can delegate to (NS names with their addresses answered in-zone).
import type { Logger } from '../lib/log.js'
import type { RoutingTable } from '../routing/table.js'
import { TableAnswerSource } from '../routing/dns-source.js'
import { DnsServer } from '../routing/dns/server.js'
import { parseListenAddress } from '../routing/dns/listen-address.js'
import { hostmasterName, parseNameServers, type NameServer } from '../routing/dns/options.js'

export interface ServerDnsOptions {
  listen: string
  zone?: string
  ttl?: number
  /** `NAME=IP` (repeatable): the zone's name servers and their glue. Default `ns1.<zone>=<listen IP>`. */
  nameServers?: string[]
  soaMname?: string
  /** `hostmaster@example.com` or `hostmaster.example.com`. */
  hostmaster?: string
  /** Addresses per answer: 1 (default; survives resolvers) or 2 (best, then fallback). */
  answers?: number
  /** RFC 5001 NSID answered to clients that ask (which replica answered). */
  nsid?: string
}

/**
 * Without --dns-ns the zone's one name server is `ns1.<zone>` at the address DNS listens on, so
 * `ns1.<zone> A` resolves and a resolver priming the delegation finds it. A wildcard listen
 * address says nothing about where clients reach us: the operator must name the name servers.
 */
export function defaultNameServers(zone: string, listen: string, log: Logger): NameServer[] {
  const { host } = parseListenAddress(listen)
  if (host === '0.0.0.0' || host === '::') {
    log.warn({ listen }, `dns: listening on a wildcard address; give --dns-ns ns1.${zone}=PUBLIC_IP so ns1.${zone} has an address (delegation fails without it)`)
    return [{ name: `ns1.${zone}` }]
  }
  return [{ name: `ns1.${zone}`, addresses: [host] }]
}

export function createDnsServer(o: ServerDnsOptions, routing: RoutingTable, log: Logger): DnsServer {
  const zone = o.zone ?? 'edge.test'
  const source = new TableAnswerSource(routing, zone, o.answers ?? 1)
  return new DnsServer({
    zone, source, ttl: o.ttl ?? 5, log,
    serial: () => source.serial(), nsid: o.nsid,
    nameServers: o.nameServers?.length ? parseNameServers(o.nameServers) : defaultNameServers(zone, o.listen, log),
    soa: { ...(o.soaMname ? { mname: o.soaMname } : {}), ...(o.hostmaster ? { rname: hostmasterName(o.hostmaster) } : {}) },
  })
}
