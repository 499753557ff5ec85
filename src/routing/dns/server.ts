// The authoritative GSLB DNS server for one zone: the answer for an app's host name is the gateway
// address of the best site for the client, as the answer source (the routing table) decides.
//
// Rules, in brief (RFC numbers where they decide):
// - QUERY opcode only (else NOTIMP), exactly one question (else FORMERR), class IN (else REFUSED).
// - A/AAAA from the answer source; SOA and NS at the apex, with the name servers' own addresses
//   (nsAddresses) answered by us and sent as glue with NS. AA on every answer inside the zone.
// - ANY answers every record the name has (A and AAAA; SOA and NS at the apex). That is a handful of
//   records here, so RFC 8482's minimal answer buys nothing; truncation still applies over UDP.
// - NODATA: NOERROR, no answer, SOA in authority with TTL = SOA minimum (RFC 2308); NXDOMAIN the same
//   for names the source does not know. REFUSED outside the zone and for AXFR/IXFR.
// - TTLs: `ttl` (default 5 s) on A/AAAA; `staticTtl` (default 300 s) on SOA, NS and glue; SOA minimum
//   defaults to `ttl`, so a new app host is not hidden by a cached NXDOMAIN for longer than that.
// - EDNS0 (RFC 6891): an OPT in the query gets ours back (payload size maxUdpPayload, DO copied);
//   two OPTs → FORMERR; version > 0 → BADVERS. UDP replies above 512 (no EDNS) or min(client's
//   size, ours) lose their answer, authority and additional records (but OPT) and get TC=1.
// - ECS (RFC 7871): the masked subnet and its source prefix go to the source instead of the packet
//   sender's address; the option is echoed on every reply with scope = the source's scope capped at
//   the source prefix (0 for answers that do not depend on the client, e.g. NXDOMAIN). Unknown family,
//   prefix beyond the address, non-zero scope in the query, wrong address length, bits set beyond
//   the prefix, or two ECS options → FORMERR.
// - Bad input: shorter than a header → dropped; QR=1 → dropped; larger than maxQuerySize → dropped
//   (UDP) or the connection closed (TCP); anything the decoder rejects → FORMERR echoing the id.
// - Hot path: decode, an in-memory look-up, encode. No logging per query; counters in `stats`.
import type { Socket as UdpSocket } from 'node:dgram'
import type { AddressInfo, Server, Socket } from 'node:net'
import { ApiError } from '../../api/errors.js'
import { createLogger, type Logger } from '../../lib/log.js'
import { peekHeader, headerOnlyReply } from './header.js'
import { DEFAULT_DNS_LISTEN, parseListenAddress, type ListenAddress } from './listen-address.js'
import { resolveDnsOptions, type DnsConfig, type DnsServerOptions } from './options.js'
import { answerQuery, type Transport } from './query.js'
import { ZoneResolver } from './resolve.js'
import { newDnsStats, type DnsStats } from './stats.js'
import { listenTcp } from './tcp.js'
import { listenUdp } from './udp.js'

export type { DnsServerOptions } from './options.js'
export type { DnsStats } from './stats.js'

export interface DnsListenOptions {
  /** IP:PORT (default: tcp's, else 127.0.0.1:5353); false: no UDP. */
  udp?: string | false
  /** IP:PORT (default: udp's, else 127.0.0.1:5353); false: no TCP. Port 0 on both, one host: one free port for both. */
  tcp?: string | false
}

export interface DnsListening { udp?: AddressInfo; tcp?: AddressInfo }

export class DnsServer {
  readonly stats: DnsStats = newDnsStats()
  private readonly cfg: DnsConfig
  private readonly zone: ZoneResolver
  private readonly log: Logger
  private udp?: UdpSocket
  private tcp?: { server: Server; sockets: Set<Socket> }

  constructor(opts: DnsServerOptions) {
    this.cfg = resolveDnsOptions(opts)
    this.zone = new ZoneResolver(this.cfg)
    this.log = opts.log ?? createLogger('dns')
  }

  get zoneName(): string {
    return this.cfg.zone
  }

  /** One query → its reply, or undefined when it gets none. Never throws; counts every outcome. */
  handleQuery(packet: Buffer, clientAddress: string, transport: Transport): Buffer | undefined {
    const { stats } = this
    stats.queries++
    try {
      const out = answerQuery(this.cfg, this.zone, packet, clientAddress, transport)
      if ('drop' in out) {
        stats.dropped[out.drop]++
        return undefined
      }
      stats.responses[out.rcode]++
      if (out.truncated) stats.truncated++
      if (out.error !== undefined) this.sourceFailed(out.error)
      return out.reply
    } catch (err) {
      // Not expected (answerQuery catches its own failures), but a bad packet must never kill the server.
      const h = peekHeader(packet)
      this.sourceFailed(err)
      if (!h) {
        stats.dropped.unreadable++
        return undefined
      }
      stats.responses.SERVFAIL++
      return headerOnlyReply(h, 2)
    }
  }

  /** `listen('IP:PORT')` serves UDP and TCP there; with one of udp/tcp given, the other follows it. */
  async listen(where: string | DnsListenOptions = {}): Promise<DnsListening> {
    if (this.udp || this.tcp) throw new ApiError('Conflict', 'dns: the server is already listening')
    const at = typeof where === 'string' ? { udp: where, tcp: where } : where
    const given = [at.udp, at.tcp].find((x) => typeof x === 'string') ?? DEFAULT_DNS_LISTEN
    const udpAt = at.udp === false ? undefined : parseListenAddress(at.udp ?? given, 'dns-listen (udp)')
    const tcpAt = at.tcp === false ? undefined : parseListenAddress(at.tcp ?? given, 'dns-listen (tcp)')
    // Port 0 for both on one host: take UDP's free port for TCP too, retrying if TCP's is taken.
    const samePort = udpAt && tcpAt && udpAt.port === 0 && tcpAt.port === 0 && udpAt.host === tcpAt.host
    for (let attempt = 0; ; attempt++) {
      const out: DnsListening = {}
      try {
        if (udpAt) out.udp = await this.bindUdp(udpAt)
        if (tcpAt) out.tcp = await this.bindTcp(samePort ? { ...tcpAt, port: out.udp!.port } : tcpAt)
        this.log.info({ zone: this.cfg.zone, udp: out.udp, tcp: out.tcp }, 'dns listening')
        return out
      } catch (err) {
        await this.close()
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        if (samePort && inUse && attempt < 20) continue
        const where = [udpAt && `udp ${udpAt.host}:${udpAt.port}`, tcpAt && `tcp ${tcpAt.host}:${tcpAt.port}`].filter(Boolean).join(', ')
        throw new ApiError('Unavailable', `dns: cannot listen on ${where}: ${(err as Error).message}${inUse ? ' (choose another --dns-listen port)' : ''}`)
      }
    }
  }

  async close(): Promise<void> {
    const { udp, tcp } = this
    this.udp = undefined
    this.tcp = undefined
    if (udp) await new Promise<void>((res) => udp.close(() => res()))
    if (tcp) {
      for (const s of tcp.sockets) s.destroy()
      await new Promise<void>((res) => tcp.server.close(() => res()))
    }
  }

  private async bindUdp(at: ListenAddress): Promise<AddressInfo> {
    const { socket, address } = await listenUdp(at, (msg, client) => this.handleQuery(msg, client, 'udp'),
      (err) => this.log.error({ err }, 'dns udp socket error'))
    this.udp = socket
    return address
  }

  private async bindTcp(at: ListenAddress): Promise<AddressInfo> {
    const { cfg } = this
    const { server, address, sockets } = await listenTcp(at,
      { maxQuerySize: cfg.maxQuerySize, idleTimeoutMs: cfg.tcpIdleTimeoutMs, maxConnections: cfg.maxTcpConnections },
      {
        handle: (msg, client) => this.handleQuery(msg, client, 'tcp'),
        dropped: (reason) => { this.stats.dropped[reason]++ },
        error: (err) => this.log.error({ err }, 'dns tcp server error'),
      })
    this.tcp = { server, sockets }
    return address
  }

  /** Logged at 1, 2, 4, 8, … failures: visible at once, never a log flood from the hot path. */
  private sourceFailed(err: unknown): void {
    const n = ++this.failures
    if ((n & (n - 1)) === 0) this.log.error({ err, failures: n }, 'dns answer failed: SERVFAIL')
  }

  private failures = 0
}
