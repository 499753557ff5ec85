// EDNS0 (RFC 6891) of a query: its OPT record, the response size limit it implies, and our OPT reply.
import type { Answer, OptAnswer, PacketOpt } from 'dns-packet'
import { ECS_CODE, parseClientSubnet, type ClientSubnet } from './ecs.js'

/** Classic DNS over UDP (RFC 1035 §2.3.4). */
export const PLAIN_UDP_LIMIT = 512
const DNSSEC_OK = 0x8000
/** RFC 5001: the client asks which server answered (useful with several replicas behind one name). */
export const NSID_CODE = 3

export interface QueryEdns {
  udpPayloadSize: number
  dnssecOk: boolean
  ecs?: ClientSubnet
  nsid?: boolean
}

export type EdnsRead =
  | { ok: true; edns?: QueryEdns }
  /** edns: whether the error response still carries an OPT record. */
  | { ok: false; rcode: 'FORMERR' | 'BADVERS'; edns?: QueryEdns }

export function readEdns(additionals: Answer[] | undefined): EdnsRead {
  let opt: OptAnswer | undefined
  for (const rr of additionals ?? []) {
    if (rr.type !== 'OPT') continue
    if (opt) return { ok: false, rcode: 'FORMERR' } // RFC 6891 §6.1.1: more than one OPT
    opt = rr as OptAnswer
  }
  if (!opt) return { ok: true }
  if (opt.name !== '.') return { ok: false, rcode: 'FORMERR' }
  const edns: QueryEdns = { udpPayloadSize: Math.max(opt.udpPayloadSize, PLAIN_UDP_LIMIT), dnssecOk: (opt.flags & DNSSEC_OK) !== 0 }
  if (opt.ednsVersion !== 0) return { ok: false, rcode: 'BADVERS', edns }
  for (const o of opt.options ?? []) {
    if ((o.code as number) === NSID_CODE) edns.nsid = true
    if (o.code !== ECS_CODE) continue // other options (cookies, padding, …) are ignored, as RFC 6891 allows
    if (edns.ecs) return { ok: false, rcode: 'FORMERR', edns }
    const ecs = parseClientSubnet(o.data, (o as { ip?: string }).ip)
    if (!ecs) return { ok: false, rcode: 'FORMERR', edns }
    edns.ecs = ecs
  }
  return { ok: true, edns }
}

/**
 * Our OPT record: our payload size, the query's DO bit copied (RFC 3225 requires the copy even from
 * a server that signs nothing: DO says the client can take signatures, not that they are there),
 * BADVERS when asked.
 */
export function replyOpt(maxUdpPayload: number, edns: QueryEdns, options: PacketOpt[], badVersion = false): OptAnswer {
  return {
    name: '.', type: 'OPT', udpPayloadSize: maxUdpPayload,
    // BADVERS is rcode 16: its upper eight bits live in the OPT record, the header keeps 0.
    extendedRcode: badVersion ? 1 : 0, ednsVersion: 0,
    flags: edns.dnssecOk ? DNSSEC_OK : 0, flag_do: edns.dnssecOk, options,
  }
}

/** The largest UDP response the client accepts: 512 without EDNS, else its size capped by ours. */
export function udpLimit(edns: QueryEdns | undefined, maxUdpPayload: number): number {
  return edns ? Math.min(edns.udpPayloadSize, maxUdpPayload) : PLAIN_UDP_LIMIT
}
