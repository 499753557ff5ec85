// The fixed 12-byte header, read before any full decode so that responses, odd opcodes and absurd
// record counts are turned away cheaply, and so that a FORMERR can still echo the query id.
import { encode } from 'dns-packet'

export const HEADER_BYTES = 12
/** The smallest resource record: root name (1) + type, class, TTL, rdlength (10). */
const MIN_RR_BYTES = 11

export const QR = 0x8000
export const AA = 0x0400
export const TC = 0x0200
export const RD = 0x0100
export const CD = 0x0010

export interface RawHeader {
  id: number
  flags: number
  opcode: number
  qdcount: number
  /** answer + authority + additional counts */
  rrcount: number
}

/** undefined when there is no complete header (nothing to reply to). */
export function peekHeader(msg: Buffer): RawHeader | undefined {
  if (msg.length < HEADER_BYTES) return undefined
  const flags = msg.readUInt16BE(2)
  return {
    id: msg.readUInt16BE(0), flags, opcode: (flags >> 11) & 0xf,
    qdcount: msg.readUInt16BE(4),
    rrcount: msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10),
  }
}

/** Counts that cannot fit in the message: refuse before the decoder allocates arrays for them. */
export function countsImpossible(h: RawHeader, length: number): boolean {
  return HEADER_BYTES + h.qdcount * 5 + h.rrcount * MIN_RR_BYTES > length
}

/** Flags of our response: opcode and rcode, RD and CD copied from the query (RFC 1035, RFC 4035). */
export function replyFlags(query: RawHeader, rcode: number, extra = 0): number {
  return (query.opcode << 11) | (query.flags & (RD | CD)) | extra | (rcode & 0xf)
}

/** A response of only a header: for queries whose question we cannot or will not echo. */
export function headerOnlyReply(query: RawHeader, rcode: number): Buffer {
  return encode({ id: query.id, type: 'response', flags: replyFlags(query, rcode) })
}
