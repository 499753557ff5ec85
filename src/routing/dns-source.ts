// Answers DNS from the routing table: the gateway address of the best site for the client (the ECS
// subnet when present, else the resolver), or the best two when asked. Remembers the answer per
// client subnet so the next one only moves when the new best is clearly better (hysteresis).
//
// One answer by default: recursive resolvers reorder an RRset (unbound, by default, puts the far
// site first 3 times in 4), so "best first, fallback second" does not survive them. With one A the
// client reaches the best site; when that site is saturated or failing, its gateway forwards to the
// next-best site (overflow), and the short TTL moves the answer after a failover.
import { isIP } from 'node:net'
import { hostKey, type RoutingTable } from './table.js'
import type { DnsAnswerSource } from './types.js'

export class TableAnswerSource implements DnsAnswerSource {
  private seenGeneration = -1
  private lastSerial = 0

  constructor(private table: RoutingTable, private zone: string, private answers = 1, private now: () => number = Date.now) {}

  /**
   * A time-based SOA serial (seconds since 1970) that moves when the routing table has changed since
   * the last look: monotonic, and close across the replicas that answer the same zone.
   */
  serial(): number {
    const gen = this.table.generation
    if (gen !== this.seenGeneration) {
      this.seenGeneration = gen
      this.lastSerial = Math.max(this.lastSerial, Math.floor(this.now() / 1000))
    }
    return this.lastSerial
  }

  answer(name: string, client: { address: string; sourcePrefix?: number }) {
    const host = hostKey(name)
    if (!this.table.hasHost(host)) return undefined
    // At least two: whether more than one site is usable decides the scope below.
    const res = this.table.best(host, client.address, Math.max(2, this.answers), { remember: true })
    if (!res) return undefined
    const a: string[] = [], aaaa: string[] = []
    for (const site of res.ranked.slice(0, this.answers)) {
      const ip = hostOf(site.gateways[0])
      if (isIP(ip) === 4) a.push(ip)
      else if (isIP(ip) === 6) aaaa.push(ip)
    }
    // One usable site: the answer is the same for everyone. Otherwise it holds for the located
    // prefix; an unlocated client's answer is not everyone's, so it holds for its /24 (/56).
    const scopePrefix = res.ranked.length <= 1 ? 0 : res.client.prefixLength || (client.address.includes(':') ? 56 : 24)
    return { a, aaaa, scopePrefix }
  }
}

export function hostOf(address: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(address)
  if (m) return m[1]
  const i = address.lastIndexOf(':')
  return i > 0 && address.indexOf(':') === i ? address.slice(0, i) : address
}
