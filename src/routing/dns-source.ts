// Answers DNS from the routing table: the gateway addresses of the best one or two sites for the
// client (the ECS subnet when present, else the resolver). Remembers the answer per client subnet
// so the next one only moves when the new best is clearly better (hysteresis).
import { isIP } from 'node:net'
import { hostKey, type RoutingTable } from './table.js'
import type { DnsAnswerSource } from './types.js'

export class TableAnswerSource implements DnsAnswerSource {
  constructor(private table: RoutingTable, private zone: string, private answers = 2) {}

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
