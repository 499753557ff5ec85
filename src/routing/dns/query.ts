// One query in, one reply (or nothing) out: the pure core of the DNS server. No sockets, no clock;
// the only work beyond dns-packet's decode and encode is the in-memory answer look-up.
import { decode, encode, type Answer, type DecodedPacket, type Packet, type Question } from 'dns-packet'
import { clientSubnetReply } from './ecs.js'
import { readEdns, replyOpt, udpLimit, type QueryEdns } from './edns.js'
import { AA, HEADER_BYTES, QR, TC, countsImpossible, headerOnlyReply, peekHeader, replyFlags, type RawHeader } from './header.js'
import { canonicalName, isPlainWireName, plainAddress } from './names.js'
import type { DnsConfig } from './options.js'
import type { ZoneResolver } from './resolve.js'
import type { DnsRcode, DropReason } from './stats.js'

export type Transport = 'udp' | 'tcp'

export type QueryOutcome =
  | { reply: Buffer; rcode: DnsRcode; truncated: boolean; error?: unknown }
  | { drop: DropReason }

const RCODE: Record<DnsRcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 0 }
const TCP_LIMIT = 65535

function bare(h: RawHeader, rcode: DnsRcode, error?: unknown): QueryOutcome {
  return { reply: headerOnlyReply(h, RCODE[rcode]), rcode, truncated: false, error }
}

export function answerQuery(cfg: DnsConfig, zone: ZoneResolver, msg: Buffer, clientAddress: string, transport: Transport): QueryOutcome {
  const h = peekHeader(msg)
  if (!h) return { drop: 'unreadable' }
  if (h.flags & QR) return { drop: 'response' }
  if (msg.length > cfg.maxQuerySize) return { drop: 'oversized' }
  if (h.opcode !== 0) return bare(h, 'NOTIMP') // only QUERY: no NOTIFY, UPDATE, IQUERY, STATUS
  if (h.qdcount !== 1 || countsImpossible(h, msg.length)) return bare(h, 'FORMERR')
  let query: DecodedPacket
  try {
    query = decode(msg)
  } catch {
    return bare(h, 'FORMERR')
  }
  // The decoder tolerates some short reads (an option longer than the packet): the byte count tells.
  if (decode.bytes !== msg.length || !isPlainWireName(msg, HEADER_BYTES)) return bare(h, 'FORMERR')
  const question = query.questions![0]
  // An unknown class would not survive dns-packet's re-encoding: such a question is not echoed.
  const echo = question.class?.startsWith('UNKNOWN_') ? [] : [question]

  const ednsRead = readEdns(query.additionals)
  if (!ednsRead.ok) {
    const opt = ednsRead.edns && replyOpt(cfg.maxUdpPayload, ednsRead.edns, [], ednsRead.rcode === 'BADVERS')
    return finish(cfg, h, transport, ednsRead.edns, ednsRead.rcode, 0, echo, [], [], opt ? [opt] : [])
  }
  const edns = ednsRead.edns
  const ecs = edns?.ecs
  const opt = edns && replyOpt(cfg.maxUdpPayload, edns, ecs ? [clientSubnetReply(ecs, 0)] : [])
  if (opt && edns.nsid && cfg.nsid) opt.options.push(cfg.nsid)
  const optList = opt ? [opt] : []
  if (question.class !== 'IN') return finish(cfg, h, transport, edns, 'REFUSED', 0, echo, [], [], optList)

  const client = ecs ? { address: ecs.address, sourcePrefix: ecs.sourcePrefix } : { address: plainAddress(clientAddress) }
  try {
    const res = zone.resolve(canonicalName(question.name), question.name, question.type, client)
    if (opt && ecs && res.scope) opt.options[0] = clientSubnetReply(ecs, res.scope)
    return finish(cfg, h, transport, edns, res.rcode, res.authoritative ? AA : 0, [question], res.answers, res.authorities,
      res.additionals.length ? [...res.additionals, ...optList] : optList)
  } catch (error) {
    // The answer source failed, or returned something unencodable (not an IP address): SERVFAIL.
    try {
      return { ...finish(cfg, h, transport, edns, 'SERVFAIL', 0, [question], [], [], optList), error }
    } catch {
      return bare(h, 'SERVFAIL', error)
    }
  }
}

function finish(cfg: DnsConfig, h: RawHeader, transport: Transport, edns: QueryEdns | undefined, rcode: DnsRcode, extraFlags: number,
  questions: Question[], answers: Answer[], authorities: Answer[], additionals: Answer[]): QueryOutcome {
  const packet: Packet = { id: h.id, type: 'response', flags: replyFlags(h, RCODE[rcode], extraFlags), questions, answers, authorities, additionals }
  let reply = encode(packet)
  const limit = transport === 'tcp' ? TCP_LIMIT : udpLimit(edns, cfg.maxUdpPayload)
  if (reply.length <= limit) return { reply, rcode, truncated: false }
  // Too big for the client: header, question and OPT only, TC=1, and the client retries over TCP.
  packet.flags = packet.flags! | TC
  packet.answers = []
  packet.authorities = []
  packet.additionals = additionals.filter((rr) => rr.type === 'OPT')
  reply = encode(packet)
  return { reply, rcode, truncated: true }
}
