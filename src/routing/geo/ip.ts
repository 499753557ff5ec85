// IP address and CIDR parsing shared by the geo rules, the reserved-range table and the database
// lookup. Our own strict parser, because the mmdb reader's is lax (it never rejects input) and the
// query path must turn malformed strings into "unknown" rather than into a wrong lookup.

export type IpFamily = 4 | 6

/** 4 bytes for IPv4, 16 for IPv6. IPv4-mapped IPv6 (::ffff:a.b.c.d) is parsed as IPv4. */
export interface IpAddress {
  readonly family: IpFamily
  readonly bytes: Uint8Array
}

export interface Cidr {
  readonly network: IpAddress
  /** Bits of the network, within the family (an IPv4-mapped /120 becomes an IPv4 /24). */
  readonly prefix: number
}

const MAX_INPUT = 64 // longest textual IPv6 with an embedded IPv4 and a short zone fits easily
const ZONE = /^[0-9A-Za-z._-]+$/

/** The address, or undefined when the text is not one. Never throws. */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_INPUT) return undefined
  if (!text.includes(':')) {
    const v4 = parseV4(text)
    return v4 && { family: 4, bytes: v4 }
  }
  const v6 = parseV6(text)
  if (!v6) return undefined
  return isV4Mapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 }
}

/** Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6. */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes
  if (ip.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1])
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestAt = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { bestAt = i; bestLen = j - i }
    i = j
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':')
  if (bestAt < 0) return hex(groups)
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`
}

/**
 * "address/prefix" for configuration; throws an Error whose message says what is wrong (used in
 * rule validation messages). Host bits must be zero, so a typo cannot silently widen a rule.
 */
export function parseCidr(text: string): Cidr {
  if (typeof text !== 'string') throw new Error('must be a string like "198.51.100.0/24"')
  const slash = text.indexOf('/')
  if (slash < 0) throw new Error(`"${text}" has no /prefix (write e.g. "${text}/${text.includes(':') ? 128 : 32}" for one address)`)
  const addrText = text.slice(0, slash)
  const prefixText = text.slice(slash + 1)
  if (addrText.includes('%')) throw new Error(`"${text}": a zone id is not allowed in a CIDR`)
  const addr = parseIp(addrText)
  if (!addr) throw new Error(`"${addrText}" is not an IPv4 or IPv6 address`)
  const written = addrText.includes(':') ? 128 : 32
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > written) {
    throw new Error(`"${text}": prefix must be a number from 0 to ${written}`)
  }
  let prefix = Number(prefixText)
  if (written === 128 && addr.family === 4) {
    // IPv4-mapped: the first 96 bits are the fixed ::ffff:0:0 prefix.
    if (prefix < 96) throw new Error(`"${text}": an IPv4-mapped prefix must be at least /96`)
    prefix -= 96
  }
  const bits = addr.family === 4 ? 32 : 128
  for (let i = prefix; i < bits; i++) {
    if (bitAt(addr.bytes, i)) {
      const net = maskTo(addr, prefix)
      throw new Error(`"${text}" has host bits set; the network is ${formatIp(net)}/${prefix}`)
    }
  }
  return { network: addr, prefix }
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`
}

/** Bit i (0 = most significant) of the address. */
export function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3] >> (7 - (i & 7))) & 1
}

function maskTo(ip: IpAddress, prefix: number): IpAddress {
  const out = new Uint8Array(ip.bytes)
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8))
    out[i] &= (0xff << (8 - keep)) & 0xff
  }
  return { family: ip.family, bytes: out }
}

// Hand-rolled (no split, no regex): this runs on every DNS query.
function parseV4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4)
  let part = 0
  let value = 0
  let digits = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x2e) {
      if (digits === 0 || part === 3) return undefined
      out[part++] = value
      value = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return undefined // no leading zeros: "010" is octal to some parsers
      value = value * 10 + (c - 0x30)
      digits++
      if (value > 255) return undefined
    } else {
      return undefined
    }
  }
  if (part !== 3 || digits === 0) return undefined
  out[3] = value
  return out
}

// Hand-rolled like parseV4: one pass over the characters, groups written straight into place.
function parseV6(text: string): Uint8Array | undefined {
  let end = text.length
  const pct = text.indexOf('%')
  if (pct >= 0) {
    // A zone (fe80::1%eth0) says which link, not where: drop it.
    if (!ZONE.test(text.slice(pct + 1))) return undefined
    end = pct
  }
  const words = new Array<number>(8).fill(0)
  let n = 0 // groups read
  let gap = -1 // index in words where "::" stands
  let i = 0
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return undefined
    gap = 0
    i = 2
  }
  while (i < end) {
    const start = i
    let value = 0
    for (; i < end; i++) {
      const d = hexDigit(text.charCodeAt(i))
      if (d < 0) break
      value = (value << 4) | d
    }
    if (i < end && text.charCodeAt(i) === 0x2e) {
      // A dotted IPv4 tail takes the last two groups.
      if (n > 6) return undefined
      const v4 = parseV4(text.slice(start, end))
      if (!v4) return undefined
      words[n++] = (v4[0] << 8) | v4[1]
      words[n++] = (v4[2] << 8) | v4[3]
      i = end
      break
    }
    if (i === start || i - start > 4 || n === 8) return undefined
    words[n++] = value
    if (i === end) break
    if (text.charCodeAt(i) !== 0x3a) return undefined
    i++
    if (text.charCodeAt(i) === 0x3a && i < end) {
      if (gap >= 0) return undefined
      gap = n
      i++
    } else if (i === end) {
      return undefined // a single trailing colon
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return undefined // "::" stands for at least one zero group
  const out = new Uint8Array(16)
  for (let k = 0; k < n; k++) {
    // Groups after the gap move to the end of the address.
    const at = gap >= 0 && k >= gap ? k + 8 - n : k
    out[at * 2] = words[k] >> 8
    out[at * 2 + 1] = words[k] & 0xff
  }
  return out
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
