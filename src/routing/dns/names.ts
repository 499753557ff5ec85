// DNS names compare case-insensitively and with or without the trailing dot (RFC 4343); one
// canonical form (lower case, no trailing dot) keeps every comparison a plain string compare.

export function canonicalName(name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower
}

/** True when `name` (canonical) is the zone apex or below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46 /* . */)
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/

/** A host name we are willing to serve as a zone or NS name: LDH labels (plus `_`), ≤ 253 bytes. */
export function isHostName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l))
}

/**
 * True when the question name at `offset` is plain printable ASCII labels with no compression
 * pointer: only such names survive dns-packet's string decoding byte for byte, so only they can be
 * echoed faithfully in the question section of our reply. (A pointer in the first question could
 * only point into the header anyway.)
 */
export function isPlainWireName(msg: Buffer, offset: number): boolean {
  for (let i = offset; i < msg.length;) {
    const len = msg[i++]
    if (len === 0) return true
    if (len > 63 || i + len > msg.length) return false
    for (const end = i + len; i < end; i++) {
      const c = msg[i]
      if (c <= 0x20 || c >= 0x7f || c === 0x2e /* . */) return false
    }
  }
  return false
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; the answer source wants a.b.c.d. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}
