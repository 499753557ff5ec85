// Contracts of the request path: where a client is (geo), which sites can serve a host (the routing
// table), and what the DNS server asks of them. All answered from memory (principle 7).

export interface GeoPoint { lat: number; lon: number }

export interface ClientLocation {
  ip: string
  point?: GeoPoint
  country?: string
  region?: string
  /** Where the location came from: an operator rule, the geo database, or nowhere. */
  source: 'rule' | 'database' | 'unknown'
  /** The prefix length the location is valid for (used as the ECS scope). */
  prefixLength: number
}

export interface GeoLocator {
  locate(ip: string): ClientLocation
}

/** What the DNS server needs to answer a query for a name inside its zone. */
export interface DnsAnswerSource {
  /**
   * undefined: no such name (NXDOMAIN). Otherwise the addresses to answer (possibly none of a
   * family: NODATA) and the ECS scope prefix length the answer is valid for (0 = same for everyone).
   */
  answer(name: string, client: { address: string; sourcePrefix?: number }): { a: string[]; aaaa: string[]; scopePrefix: number } | undefined
}
