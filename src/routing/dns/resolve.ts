// The authoritative decision for one question: which records answer it, or which negative answer
// (NXDOMAIN, NODATA) or refusal. Everything comes from memory: the zone's own records, built once,
// and the answer source (the routing table).
import type { Answer } from 'dns-packet'
import { isIPv4, isIPv6 } from 'node:net'
import type { DnsConfig } from './options.js'
import { inZone } from './names.js'

export interface Resolution {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED'
  /** AA: set on every answer from inside our zone. */
  authoritative: boolean
  answers: Answer[]
  authorities: Answer[]
  additionals: Answer[]
  /** ECS scope prefix the answer is valid for (0 = the same for every client). */
  scope: number
}

export interface Client { address: string; sourcePrefix?: number }

const NONE: Answer[] = []
const REFUSED: Resolution = { rcode: 'REFUSED', authoritative: false, answers: NONE, authorities: NONE, additionals: NONE, scope: 0 }

/** dns-packet encodes any string as an address without complaint; a bad one must not go out as junk. */
function address(a: string, valid: (s: string) => boolean): string {
  if (!valid(a)) throw new Error(`answer source returned "${a}", not an address of the record's family`)
  return a
}

export class ZoneResolver {
  private soa!: Answer
  /** The SOA of a negative answer: TTL = SOA minimum (RFC 2308 §5). */
  private negativeSoa!: Answer[]
  private serial: number
  private readonly ns: Answer[]
  private readonly glue: Answer[]

  constructor(private readonly cfg: DnsConfig) {
    const { zone, staticTtl } = cfg
    this.serial = cfg.soa.serial
    this.soaRecords()
    this.ns = cfg.nsNames.map((n) => ({ name: zone, type: 'NS', ttl: staticTtl, data: n }))
    this.glue = [...cfg.nsHosts].flatMap(([name, h]) => [
      ...h.a.map((a): Answer => ({ name, type: 'A', ttl: staticTtl, data: a })),
      ...h.aaaa.map((a): Answer => ({ name, type: 'AAAA', ttl: staticTtl, data: a })),
    ])
  }

  /** The SOA records for the current serial; rebuilt only when a dynamic serial moves. */
  private soaRecords(): void {
    const { zone, staticTtl } = this.cfg
    const data = { ...this.cfg.soa, serial: this.serial }
    this.soa = { name: zone, type: 'SOA', ttl: staticTtl, data }
    this.negativeSoa = [{ name: zone, type: 'SOA', ttl: data.minimum, data }]
  }

  private freshSerial(): void {
    const next = this.cfg.serial?.()
    if (next !== undefined && next !== this.serial) {
      this.serial = next >>> 0 // the field is an unsigned 32-bit integer (RFC 1982 arithmetic)
      this.soaRecords()
    }
  }

  /**
   * `name` is canonical (lower case, no trailing dot); `owner` is the name as the client wrote it,
   * used for answer records so case-randomising resolvers (0x20) see their own spelling back.
   * The answer source may throw; the caller turns that into SERVFAIL.
   */
  resolve(name: string, owner: string, qtype: string, client: Client): Resolution {
    const { cfg } = this
    // Outside the zone we are not authoritative; zone transfers are not offered (the zone lives in memory).
    if (!inZone(name, cfg.zone) || qtype === 'AXFR' || qtype === 'IXFR') return REFUSED
    if (cfg.serial) this.freshSerial()
    const apex = name === cfg.zone
    const ns = cfg.nsHosts.get(name)
    const found = ns ? { a: ns.a, aaaa: ns.aaaa, scopePrefix: 0 } : cfg.source.answer(name, client)
    if (!found && !apex) return this.negative('NXDOMAIN', 0)

    const ttl = ns ? cfg.staticTtl : cfg.ttl
    const any = qtype === 'ANY' // every record the name has: a handful at most (see server.ts)
    const answers: Answer[] = []
    let additionals = NONE
    if (found && (qtype === 'A' || any)) for (const a of found.a) answers.push({ name: owner, type: 'A', ttl, data: address(a, isIPv4) })
    if (found && (qtype === 'AAAA' || any)) for (const a of found.aaaa) answers.push({ name: owner, type: 'AAAA', ttl, data: address(a, isIPv6) })
    if (apex && (qtype === 'SOA' || any)) answers.push(this.soa)
    if (apex && (qtype === 'NS' || any)) {
      answers.push(...this.ns)
      additionals = this.glue
    }
    const scope = found?.scopePrefix ?? 0
    if (!answers.length) return this.negative('NOERROR', scope) // NODATA: the name exists, the type does not
    return { rcode: 'NOERROR', authoritative: true, answers, authorities: NONE, additionals, scope }
  }

  private negative(rcode: 'NOERROR' | 'NXDOMAIN', scope: number): Resolution {
    return { rcode, authoritative: true, answers: NONE, authorities: this.negativeSoa, additionals: NONE, scope }
  }
}
