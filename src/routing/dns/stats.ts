// Outcome counters of the DNS server, kept as plain numbers so the hot path only increments them;
// the server's /metrics exporter reads them (dns_queries_total, dns_responses_total{rcode}, …).

export type DnsRcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED' | 'BADVERS'

/** Why a packet got no answer at all. */
export type DropReason =
  | 'unreadable' // shorter than a header: no id to answer to
  | 'response' // QR=1: answering responses invites reflection loops
  | 'oversized' // larger than any query we accept
  | 'overload' // TCP connection limit or a peer that does not read its answers

export interface DnsStats {
  /** Messages handed to the query handler (UDP datagrams and TCP frames). */
  queries: number
  /** Responses sent, by rcode (BADVERS is the extended rcode of an OPT record). */
  responses: Record<DnsRcode, number>
  /** UDP responses cut to header + question (TC=1) because they exceeded the client's limit. */
  truncated: number
  dropped: Record<DropReason, number>
}

export function newDnsStats(): DnsStats {
  return {
    queries: 0,
    responses: { NOERROR: 0, FORMERR: 0, SERVFAIL: 0, NXDOMAIN: 0, NOTIMP: 0, REFUSED: 0, BADVERS: 0 },
    truncated: 0,
    dropped: { unreadable: 0, response: 0, oversized: 0, overload: 0 },
  }
}
