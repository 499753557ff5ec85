// Client addresses: IPv4-mapped IPv6 folded to IPv4, and the prefix demand is counted by
// (/24 for IPv4, /48 for IPv6).
import { isIPv4, isIPv6 } from 'node:net'

/** Socket remote address → plain IP ('::ffff:1.2.3.4' → '1.2.3.4', zone id dropped). */
export function normalizeIp(addr: string | undefined): string {
  if (!addr) return ''
  if (addr.startsWith('::ffff:') && isIPv4(addr.slice(7))) return addr.slice(7)
  const pct = addr.indexOf('%')
  return pct >= 0 ? addr.slice(0, pct) : addr
}

/** The client's prefix: 'a.b.c.0/24' or 'xxxx:xxxx:xxxx::/48'; '' when the address is not an IP. */
export function clientPrefix(addr: string): string {
  const ip = normalizeIp(addr)
  if (isIPv4(ip)) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`
  if (!isIPv6(ip)) return ''
  const groups = expandIPv6(ip)
  return `${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}::/48`
}

/** Eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail becomes two groups). */
export function expandIPv6(ip: string): number[] {
  let s = ip
  const lastColon = s.lastIndexOf(':')
  if (s.indexOf('.', lastColon) >= 0) {
    const [a, b, c, d] = s.slice(lastColon + 1).split('.').map(Number)
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const dbl = s.indexOf('::')
  if (dbl < 0) return parse(s)
  const head = parse(s.slice(0, dbl))
  const rest = parse(s.slice(dbl + 2))
  return [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest]
}
