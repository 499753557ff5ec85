// DnsServer.handleQuery without sockets: every answering rule of the authoritative GSLB DNS, the
// EDNS0 / Client Subnet handling and the bad-input rules, against a small fake answer source.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode, type Answer, type DecodedPacket, type OptAnswer, type Packet, type PacketOpt, type RecordType, type RecordClass } from 'dns-packet'
import { DnsServer, type DnsServerOptions } from '../../src/routing/dns/server.js'
import { isApiError } from '../../src/api/errors.js'
import { hostmasterName, parseNameServers } from '../../src/routing/dns/options.js'
import type { DnsAnswerSource } from '../../src/routing/types.js'

type Reply = DecodedPacket & { rcode: string; opcode: string }
type Call = { name: string; client: { address: string; sourcePrefix?: number } }

/** Not in @types/dns-packet's RecordType, but dns-packet encodes it. */
const ANY = 'ANY' as RecordType
const BIG = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

/** Sites by client subnet for `web`; fixed answers for the other names. Records every call. */
function fakeSource(): DnsAnswerSource & { calls: Call[] } {
  const calls: Call[] = []
  return {
    calls,
    answer(name, client) {
      calls.push({ name, client })
      switch (name) {
        case 'web.edge.test': {
          const a = client.address.startsWith('198.51.100.') ? '127.0.9.1' : client.address.startsWith('203.0.113.') ? '127.0.9.2' : '127.0.9.3'
          return { a: [a], aaaa: [], scopePrefix: 24 }
        }
        case 'v4only.edge.test': return { a: ['127.0.9.4'], aaaa: [], scopePrefix: 0 }
        case 'dual.edge.test': return { a: ['127.0.9.5'], aaaa: ['fd00::5'], scopePrefix: 0 }
        case 'wide.edge.test': return { a: ['127.0.9.6'], aaaa: [], scopePrefix: 32 }
        case 'big.edge.test': return { a: BIG, aaaa: [], scopePrefix: 0 }
        case 'boom.edge.test': throw new Error('routing table exploded')
        case 'bad.edge.test': return { a: ['not-an-address'], aaaa: [], scopePrefix: 0 }
        default: return undefined
      }
    },
  }
}

function server(opts: Partial<DnsServerOptions> = {}): DnsServer & { source: ReturnType<typeof fakeSource> } {
  const source = fakeSource()
  const s = new DnsServer({ zone: 'edge.test', source, ...opts }) as DnsServer & { source: ReturnType<typeof fakeSource> }
  s.source = source
  return s
}

interface Q {
  id?: number
  type?: RecordType
  class?: RecordClass
  flags?: number
  /** true: plain OPT; a number: that UDP payload size. */
  edns?: boolean | number
  ecs?: { ip: string; prefix: number; family?: number }
  options?: PacketOpt[]
  extra?: Partial<Packet>
}

function query(name: string, q: Q = {}): Buffer {
  const options: PacketOpt[] = [...(q.options ?? [])]
  if (q.ecs) options.push({ code: 8, family: q.ecs.family ?? (q.ecs.ip.includes(':') ? 2 : 1), sourcePrefixLength: q.ecs.prefix, scopePrefixLength: 0, ip: q.ecs.ip })
  const withOpt = q.edns !== undefined || options.length > 0
  const opt: OptAnswer = { name: '.', type: 'OPT', udpPayloadSize: typeof q.edns === 'number' ? q.edns : 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options }
  return encode({
    id: q.id ?? 4242, type: 'query', flags: q.flags ?? 0x0100 /* RD */,
    questions: [{ name, type: q.type ?? 'A', class: q.class ?? 'IN' }],
    additionals: withOpt ? [opt] : [],
    ...q.extra,
  })
}

function ask(s: DnsServer, msg: Buffer, client = '192.0.2.7', transport: 'udp' | 'tcp' = 'udp'): Reply {
  const out = s.handleQuery(msg, client, transport)
  assert.ok(out, 'expected a reply')
  return decode(out) as Reply
}

const opt = (r: Reply) => r.additionals!.find((a) => a.type === 'OPT') as OptAnswer | undefined
const ecsOf = (r: Reply) => opt(r)?.options.find((o) => o.code === 8) as { family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string } | undefined
const data = (rs: Answer[] | undefined) => (rs ?? []).map((a) => `${a.name} ${a.type} ${(a as { ttl?: number }).ttl} ${JSON.stringify((a as { data?: unknown }).data)}`)

test('A from the source: authoritative, short TTL, id and question echoed, RD copied', () => {
  const r = ask(server(), query('web.edge.test', { id: 777 }))
  assert.equal(r.id, 777)
  assert.equal(r.type, 'response')
  assert.equal(r.rcode, 'NOERROR')
  assert.equal(r.flag_aa, true)
  assert.equal(r.flag_rd, true)
  assert.equal(r.flag_ra, false)
  assert.deepEqual(r.questions, [{ name: 'web.edge.test', type: 'A', class: 'IN' }])
  assert.deepEqual(data(r.answers), ['web.edge.test A 5 "127.0.9.3"'])
  assert.equal(opt(r), undefined, 'no OPT in the reply to a query without one')
})

test('names match case-insensitively and with a trailing dot; the client spelling is echoed', () => {
  const s = server({ ttl: 30 })
  const r = ask(s, query('WeB.EDGE.test.'))
  assert.deepEqual(data(r.answers), ['WeB.EDGE.test A 30 "127.0.9.3"'])
  assert.equal(s.source.calls[0].name, 'web.edge.test', 'the source sees the canonical name')
})

test('AAAA when the name has only A: NODATA with the SOA in authority at the SOA minimum TTL', () => {
  const r = ask(server({ soa: { minimum: 42 } }), query('v4only.edge.test', { type: 'AAAA' }))
  assert.equal(r.rcode, 'NOERROR')
  assert.equal(r.flag_aa, true)
  assert.equal(r.answers!.length, 0)
  assert.equal(r.authorities!.length, 1)
  const soa = r.authorities![0] as Answer & { ttl: number; data: { minimum: number } }
  assert.equal(soa.type, 'SOA')
  assert.equal(soa.name, 'edge.test')
  assert.equal(soa.ttl, 42)
  assert.equal(soa.data.minimum, 42)
})

test('AAAA from the source, and other types of an existing name are NODATA', () => {
  const s = server()
  assert.deepEqual(data(ask(s, query('dual.edge.test', { type: 'AAAA' })).answers), ['dual.edge.test AAAA 5 "fd00::5"'])
  for (const type of ['MX', 'TXT', 'CNAME', 'SRV'] as RecordType[]) {
    const r = ask(s, query('dual.edge.test', { type }))
    assert.equal(r.rcode, 'NOERROR', type)
    assert.equal(r.answers!.length, 0, type)
    assert.equal(r.authorities![0].type, 'SOA', type)
  }
})

test('SOA and NS at the apex, the name servers\' addresses as glue and as answers', () => {
  const s = server({ nsAddresses: ['127.0.0.53', '::53'], soa: { serial: 2026112501 } })
  const soa = ask(s, query('edge.test', { type: 'SOA' }))
  assert.equal(soa.flag_aa, true)
  assert.deepEqual(data(soa.answers), ['edge.test SOA 300 {"mname":"ns1.edge.test","rname":"hostmaster.edge.test","serial":2026112501,"refresh":3600,"retry":600,"expire":86400,"minimum":5}'])
  const ns = ask(s, query('EDGE.TEST', { type: 'NS' }))
  assert.deepEqual(data(ns.answers), ['edge.test NS 300 "ns1.edge.test"'])
  assert.deepEqual(data(ns.additionals), ['ns1.edge.test A 300 "127.0.0.53"', 'ns1.edge.test AAAA 300 "::53"'])
  assert.deepEqual(data(ask(s, query('ns1.edge.test')).answers), ['ns1.edge.test A 300 "127.0.0.53"'])
  assert.deepEqual(data(ask(s, query('ns1.edge.test', { type: 'AAAA' })).answers), ['ns1.edge.test AAAA 300 "::53"'])
  assert.equal(s.source.calls.filter((c) => c.name === 'ns1.edge.test').length, 0, 'name servers are ours, not the source\'s')

  const apexA = ask(s, query('edge.test'))
  assert.equal(apexA.rcode, 'NOERROR', 'the apex exists: A there is NODATA')
  assert.equal(apexA.answers!.length, 0)
  assert.equal(apexA.authorities![0].type, 'SOA')

  const two = server({ nsNames: ['a.ns.edge.test', 'ns.other.example'], staticTtl: 60 })
  const ns2 = ask(two, query('edge.test', { type: 'NS' }))
  assert.deepEqual(data(ns2.answers), ['edge.test NS 60 "a.ns.edge.test"', 'edge.test NS 60 "ns.other.example"'])
  assert.equal(ns2.additionals!.length, 0, 'no glue without nsAddresses')
})

test('name servers given as NAME=IP pairs: several addresses per name, in-zone glue answered, out-of-zone names without glue', () => {
  const s = server({ nameServers: parseNameServers(['ns1.edge.test=192.0.2.53', 'ns1.edge.test=2001:db8::53', 'ns2.edge.test=198.51.100.53', 'ns.other.example']) })
  assert.deepEqual(data(ask(s, query('edge.test', { type: 'NS' })).answers),
    ['edge.test NS 300 "ns1.edge.test"', 'edge.test NS 300 "ns2.edge.test"', 'edge.test NS 300 "ns.other.example"'])
  assert.deepEqual(data(ask(s, query('edge.test', { type: 'NS' })).additionals!.filter((a) => a.type !== 'OPT')),
    ['ns1.edge.test A 300 "192.0.2.53"', 'ns1.edge.test AAAA 300 "2001:db8::53"', 'ns2.edge.test A 300 "198.51.100.53"'])
  assert.deepEqual(data(ask(s, query('ns2.edge.test')).answers), ['ns2.edge.test A 300 "198.51.100.53"'])
  const soa = ask(s, query('edge.test', { type: 'SOA' })).answers![0] as Answer & { data: { mname: string } }
  assert.equal(soa.data.mname, 'ns1.edge.test', 'MNAME defaults to the first name server')
  assert.throws(() => parseNameServers(['ns1.edge.test=not-an-ip']), /NAME=IP/)
  assert.throws(() => parseNameServers(['=192.0.2.1']), /NAME=IP/)
  assert.throws(() => new DnsServer({ zone: 'edge.test', source: fakeSource(), nameServers: [{ name: 'ns.other.example', addresses: ['192.0.2.1'] }] }), /outside zone/)
})

test('a dynamic SOA serial: read at answer time, in the SOA answer and in negative answers', () => {
  let serial = 1_700_000_000
  const s = server({ serial: () => serial })
  const serialOf = (r: Reply) => ((r.answers!.length ? r.answers! : r.authorities!)[0] as Answer & { data: { serial: number } }).data.serial
  assert.equal(serialOf(ask(s, query('edge.test', { type: 'SOA' }))), 1_700_000_000)
  serial = 1_700_000_060
  assert.equal(serialOf(ask(s, query('edge.test', { type: 'SOA' }))), 1_700_000_060)
  assert.equal(serialOf(ask(s, query('nope.edge.test'))), 1_700_000_060, 'NXDOMAIN carries the same SOA')
})

test('hostmaster as a mailbox becomes the SOA RNAME', () => {
  assert.equal(hostmasterName('hostmaster@example.com'), 'hostmaster.example.com')
  assert.equal(hostmasterName('dns-admin.example.com'), 'dns-admin.example.com')
  assert.throws(() => hostmasterName('first.last@example.com'), /before @/)
  const s = server({ soa: { rname: hostmasterName('ops@example.org'), mname: 'primary.example.org' } })
  const soa = ask(s, query('edge.test', { type: 'SOA' })).answers![0] as Answer & { data: { rname: string; mname: string } }
  assert.deepEqual([soa.data.mname, soa.data.rname], ['primary.example.org', 'ops.example.org'])
})

test('a name inside the zone the source does not know: NXDOMAIN, authoritative, SOA in authority', () => {
  const r = ask(server(), query('nope.edge.test'))
  assert.equal(r.rcode, 'NXDOMAIN')
  assert.equal(r.flag_aa, true)
  assert.equal(r.answers!.length, 0)
  assert.deepEqual(data(r.authorities), ['edge.test SOA 5 {"mname":"ns1.edge.test","rname":"hostmaster.edge.test","serial":1,"refresh":3600,"retry":600,"expire":86400,"minimum":5}'])
})

test('outside the zone (including look-alike suffixes and the root): REFUSED, not authoritative', () => {
  const s = server()
  for (const name of ['example.com', 'notedge.test', 'test', '.']) {
    const r = ask(s, query(name))
    assert.equal(r.rcode, 'REFUSED', name)
    assert.equal(r.flag_aa, false, name)
    assert.equal(r.answers!.length + r.authorities!.length, 0, name)
  }
  assert.equal(s.source.calls.length, 0, 'the source is never asked about foreign names')
})

test('ANY answers what exists: A and AAAA of a name; SOA and NS at the apex', () => {
  const s = server()
  assert.deepEqual(ask(s, query('dual.edge.test', { type: ANY })).answers!.map((a) => a.type), ['A', 'AAAA'])
  assert.deepEqual(ask(s, query('edge.test', { type: ANY })).answers!.map((a) => a.type), ['SOA', 'NS'])
  assert.equal(ask(s, query('nope.edge.test', { type: ANY })).rcode, 'NXDOMAIN')
})

test('class other than IN, and zone transfers: REFUSED', () => {
  const s = server()
  const ch = ask(s, query('version.bind', { type: 'TXT', class: 'CH' }))
  assert.equal(ch.rcode, 'REFUSED')
  assert.equal(ch.questions![0].class, 'CH')
  assert.equal(ask(s, query('web.edge.test', { class: 'CH' })).rcode, 'REFUSED')
  assert.equal(ask(s, query('edge.test', { type: 'AXFR' })).rcode, 'REFUSED')
})

test('UDP: an answer larger than 512 bytes (no EDNS) or than the EDNS size is truncated: TC, no answers', () => {
  const s = server()
  const plain = s.handleQuery(query('big.edge.test'), '192.0.2.7', 'udp')!
  assert.ok(plain.length <= 512)
  const r = decode(plain) as Reply
  assert.equal(r.flag_tc, true)
  assert.equal(r.flag_aa, true)
  assert.equal(r.answers!.length, 0)
  assert.equal(r.questions!.length, 1)

  const edns = s.handleQuery(query('big.edge.test', { edns: 4096 }), '192.0.2.7', 'udp')!
  assert.ok(edns.length <= 1232, 'the client\'s 4096 is capped by our 1232')
  const re = decode(edns) as Reply
  assert.equal(re.flag_tc, true)
  assert.equal(re.answers!.length, 0)
  assert.equal(opt(re)?.udpPayloadSize, 1232, 'the truncated reply keeps its OPT')

  const tcp = ask(s, query('big.edge.test'), '192.0.2.7', 'tcp')
  assert.equal(tcp.flag_tc, false)
  assert.equal(tcp.answers!.length, 100, 'TCP carries the whole answer')

  const large = server({ maxUdpPayload: 4096 })
  const full = ask(large, query('big.edge.test', { edns: 4096 }))
  assert.equal(full.flag_tc, false)
  assert.equal(full.answers!.length, 100)
  assert.equal(ask(large, query('big.edge.test', { edns: 1500 })).flag_tc, true, 'the client\'s own limit counts')
  assert.equal(s.stats.truncated, 2)
})

test('EDNS0: an OPT in the query gets ours back (our payload size, DO copied); version 1 gets BADVERS', () => {
  const s = server()
  const r = ask(s, query('web.edge.test', { edns: 4096 }))
  const o = opt(r)!
  assert.equal(o.udpPayloadSize, 1232)
  assert.equal(o.ednsVersion, 0)
  assert.equal(o.flag_do, false)
  assert.deepEqual(o.options, [])

  const withDo = encode({ id: 1, type: 'query', questions: [{ name: 'web.edge.test', type: 'A' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0x8000, flag_do: true, options: [] }] })
  assert.equal(opt(ask(s, withDo))!.flag_do, true)

  const v1 = encode({ id: 9, type: 'query', questions: [{ name: 'web.edge.test', type: 'A' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }] })
  const bad = ask(s, v1)
  assert.equal(bad.rcode, 'NOERROR', 'BADVERS (16) is 0 in the header …')
  assert.equal(opt(bad)!.extendedRcode, 1, '… and 1 in the OPT record')
  assert.equal(opt(bad)!.ednsVersion, 0)
  assert.equal(bad.answers!.length, 0)
  assert.equal(s.stats.responses.BADVERS, 1)

  const twoOpts = encode({ id: 10, type: 'query', questions: [{ name: 'web.edge.test', type: 'A' }], additionals: [
    { name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
    { name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] })
  assert.equal(ask(s, twoOpts).rcode, 'FORMERR')
  // Unknown options (a cookie here) are ignored.
  assert.equal(ask(s, query('web.edge.test', { options: [{ code: 10, data: Buffer.alloc(8, 1) } as unknown as PacketOpt] })).rcode, 'NOERROR')
})

test('ECS: the subnet goes to the source, two subnets get two sites, the option comes back with its scope', () => {
  const s = server()
  const a = ask(s, query('web.edge.test', { ecs: { ip: '198.51.100.0', prefix: 24 } }), '192.0.2.53')
  const b = ask(s, query('web.edge.test', { ecs: { ip: '203.0.113.0', prefix: 24 } }), '192.0.2.53')
  assert.deepEqual(data(a.answers), ['web.edge.test A 5 "127.0.9.1"'])
  assert.deepEqual(data(b.answers), ['web.edge.test A 5 "127.0.9.2"'])
  assert.deepEqual(s.source.calls.map((c) => c.client), [{ address: '198.51.100.0', sourcePrefix: 24 }, { address: '203.0.113.0', sourcePrefix: 24 }],
    'the subnet, not the resolver\'s address')
  assert.deepEqual({ ...ecsOf(a), data: undefined }, { code: 8, type: 'CLIENT_SUBNET', data: undefined, family: 1, sourcePrefixLength: 24, scopePrefixLength: 24, ip: '198.51.100.0' })
  assert.equal(ecsOf(b)!.ip, '203.0.113.0')
})

test('ECS scope: capped at the source prefix; 0 when the answer does not depend on the client', () => {
  const s = server()
  assert.equal(ecsOf(ask(s, query('wide.edge.test', { ecs: { ip: '198.51.100.0', prefix: 24 } })))!.scopePrefixLength, 24, 'source said 32, client sent 24')
  assert.equal(ecsOf(ask(s, query('web.edge.test', { ecs: { ip: '198.51.0.0', prefix: 16 } })))!.scopePrefixLength, 16)
  assert.equal(ecsOf(ask(s, query('v4only.edge.test', { ecs: { ip: '198.51.100.0', prefix: 24 } })))!.scopePrefixLength, 0)
  const nx = ask(s, query('nope.edge.test', { ecs: { ip: '198.51.100.0', prefix: 24 } }))
  assert.equal(nx.rcode, 'NXDOMAIN')
  assert.deepEqual({ ...ecsOf(nx), data: undefined }, { code: 8, type: 'CLIENT_SUBNET', data: undefined, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '198.51.100.0' })
  const zero = ask(s, query('web.edge.test', { ecs: { ip: '0.0.0.0', prefix: 0 } }))
  assert.equal(ecsOf(zero)!.scopePrefixLength, 0, 'source prefix 0: the answer is for everyone')
  assert.deepEqual(s.source.calls.at(-1)!.client, { address: '0.0.0.0', sourcePrefix: 0 })
})

test('ECS over IPv6 (family 2), and without ECS the resolver\'s own address (v4-mapped unwrapped)', () => {
  const s = server()
  const r = ask(s, query('web.edge.test', { ecs: { ip: '2001:db8:1200::', prefix: 40 } }))
  assert.deepEqual(s.source.calls[0].client, { address: '2001:db8:1200::', sourcePrefix: 40 })
  assert.deepEqual({ ...ecsOf(r), data: undefined }, { code: 8, type: 'CLIENT_SUBNET', data: undefined, family: 2, sourcePrefixLength: 40, scopePrefixLength: 24, ip: '2001:db8:1200::' })
  ask(s, query('web.edge.test'), '::ffff:198.51.100.9')
  assert.deepEqual(s.source.calls[1].client, { address: '198.51.100.9' })
  ask(s, query('web.edge.test', { edns: true }), '2001:db8::9')
  assert.deepEqual(s.source.calls[2].client, { address: '2001:db8::9' })
})

/** An ECS option with a raw payload: family, source, scope, address bytes. */
function rawEcs(family: number, source: number, scope: number, addr: number[]): PacketOpt {
  const d = Buffer.alloc(4 + addr.length)
  d.writeUInt16BE(family, 0)
  d[2] = source
  d[3] = scope
  Buffer.from(addr).copy(d, 4)
  return { code: 8, data: d } as unknown as PacketOpt
}

test('malformed ECS is FORMERR (RFC 7871): bits beyond the prefix, prefix too long, bad family, scope set, wrong length, twice', () => {
  const s = server()
  const cases: Array<[string, PacketOpt[]]> = [
    ['address bits beyond the source prefix', [rawEcs(1, 24, 0, [198, 51, 100, 1])]],
    ['bits beyond a non-octet prefix', [rawEcs(1, 20, 0, [198, 51, 0x6f])]],
    ['source prefix 33 for IPv4', [rawEcs(1, 33, 0, [1, 2, 3, 4, 0])]],
    ['source prefix 129 for IPv6', [rawEcs(2, 129, 0, Array(17).fill(0))]],
    ['unknown family 3', [rawEcs(3, 8, 0, [10])]],
    ['family 0', [rawEcs(0, 0, 0, [])]],
    ['non-zero scope in a query', [rawEcs(1, 24, 24, [198, 51, 100])]],
    ['more address octets than the prefix needs', [rawEcs(1, 16, 0, [198, 51, 0, 0])]],
    ['fewer address octets than the prefix needs', [rawEcs(1, 24, 0, [198, 51])]],
    ['two ECS options', [rawEcs(1, 24, 0, [198, 51, 100]), rawEcs(1, 24, 0, [203, 0, 113])]],
  ]
  for (const [why, options] of cases) {
    const r = ask(s, query('web.edge.test', { id: 31337, options }))
    assert.equal(r.rcode, 'FORMERR', why)
    assert.equal(r.id, 31337, why)
    assert.equal(r.answers!.length, 0, why)
    assert.ok(opt(r), `${why}: the OPT itself was fine, so the reply has one`)
    assert.equal(ecsOf(r), undefined, `${why}: a bad ECS is not echoed`)
  }
  // Shorter than its fixed part: the decoder itself gives up, so the FORMERR is a bare header.
  const short = ask(s, query('web.edge.test', { id: 31338, options: [{ code: 8, data: Buffer.from([0, 1]) } as unknown as PacketOpt] }))
  assert.equal(short.rcode, 'FORMERR')
  assert.equal(short.id, 31338)
  assert.equal(s.source.calls.length, 0)
  assert.equal(s.stats.responses.FORMERR, cases.length + 1)
  // The valid forms of the same shapes are accepted.
  assert.equal(ask(s, query('web.edge.test', { options: [rawEcs(1, 20, 0, [198, 51, 0x60])] })).rcode, 'NOERROR')
  assert.equal(ask(s, query('web.edge.test', { options: [rawEcs(1, 0, 0, [])] })).rcode, 'NOERROR')
})

test('question count other than one: FORMERR with the id echoed', () => {
  const s = server()
  const two = encode({ id: 555, type: 'query', questions: [{ name: 'web.edge.test', type: 'A' }, { name: 'v4only.edge.test', type: 'A' }] })
  const r = ask(s, two)
  assert.equal(r.rcode, 'FORMERR')
  assert.equal(r.id, 555)
  assert.equal(r.answers!.length, 0)
  const none = ask(s, encode({ id: 556, type: 'query', questions: [] }))
  assert.equal(none.rcode, 'FORMERR')
  assert.equal(none.id, 556)
  assert.equal(s.source.calls.length, 0)
})

test('opcodes other than QUERY: NOTIMP with the id and opcode echoed', () => {
  const s = server()
  for (const [opcode, name] of [[4, 'NOTIFY'], [5, 'UPDATE'], [1, 'IQUERY'], [2, 'STATUS']] as const) {
    const r = ask(s, query('edge.test', { id: 100 + opcode, flags: opcode << 11 }))
    assert.equal(r.rcode, 'NOTIMP', name)
    assert.equal(r.opcode, name)
    assert.equal(r.id, 100 + opcode)
  }
  assert.equal(s.stats.responses.NOTIMP, 4)
})

test('responses (QR=1) are dropped, never answered', () => {
  const s = server()
  const resp = encode({ id: 1, type: 'response', flags: 0x0400, questions: [{ name: 'web.edge.test', type: 'A' }], answers: [{ name: 'web.edge.test', type: 'A', ttl: 5, data: '1.2.3.4' }] })
  assert.equal(s.handleQuery(resp, '192.0.2.7', 'udp'), undefined)
  assert.equal(s.stats.dropped.response, 1)
  assert.equal(s.stats.queries, 1)
})

test('truncated and malformed packets: FORMERR when the header is readable, else dropped; oversized dropped', () => {
  const s = server()
  const good = query('web.edge.test', { id: 0xbeef, ecs: { ip: '198.51.100.0', prefix: 24 } })
  for (let len = 0; len < good.length; len++) {
    const out = s.handleQuery(good.subarray(0, len), '192.0.2.7', 'udp')
    if (len < 12) {
      assert.equal(out, undefined, `${len} bytes: no header, nothing to answer`)
    } else {
      const r = decode(out!) as Reply
      assert.equal(r.rcode, 'FORMERR', `${len} bytes`)
      assert.equal(r.id, 0xbeef)
    }
  }
  assert.equal(s.stats.dropped.unreadable, 12)
  const trailing = Buffer.concat([good, Buffer.from([1, 2, 3])])
  assert.equal(ask(s, trailing).rcode, 'FORMERR', 'bytes after the last record')
  const huge = Buffer.concat([good, Buffer.alloc(5000)])
  assert.equal(s.handleQuery(huge, '192.0.2.7', 'udp'), undefined)
  assert.equal(s.stats.dropped.oversized, 1)
  // Absurd record counts are refused before the decoder allocates for them.
  const counts = Buffer.from(good)
  counts.writeUInt16BE(65535, 6)
  counts.writeUInt16BE(65535, 10)
  assert.equal(ask(s, counts).rcode, 'FORMERR')
})

test('question names that cannot be echoed faithfully (compression pointer, control bytes, dots in a label): FORMERR', () => {
  const s = server()
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
  const tail = Buffer.from([0, 1, 0, 1])
  const pointer = Buffer.concat([header, Buffer.from([0xc0, 0x00]), tail])
  const control = Buffer.concat([header, Buffer.from([3, 0x77, 0x00, 0x62, 4, ...Buffer.from('edge'), 4, ...Buffer.from('test'), 0]), tail])
  const dotted = Buffer.concat([header, Buffer.from([5, ...Buffer.from('a.web'), 4, ...Buffer.from('edge'), 4, ...Buffer.from('test'), 0]), tail])
  for (const [why, msg] of [['pointer', pointer], ['control byte', control], ['dot inside a label', dotted]] as const) {
    const r = ask(s, msg)
    assert.equal(r.rcode, 'FORMERR', why)
    assert.equal(r.id, 0x1234, why)
  }
  assert.equal(s.source.calls.length, 0)
})

test('an answer source that throws or returns a non-address: SERVFAIL, and the server keeps answering', () => {
  const s = server({ log: silentLog() })
  for (const name of ['boom.edge.test', 'bad.edge.test']) {
    const r = ask(s, query(name, { id: 77 }))
    assert.equal(r.rcode, 'SERVFAIL', name)
    assert.equal(r.id, 77)
    assert.equal(r.flag_aa, false)
  }
  assert.equal(ask(s, query('web.edge.test')).rcode, 'NOERROR')
  assert.equal(s.stats.responses.SERVFAIL, 2)
})

test('stats count every outcome', () => {
  const s = server()
  ask(s, query('web.edge.test'))
  ask(s, query('nope.edge.test'))
  ask(s, query('example.com'))
  s.handleQuery(Buffer.alloc(3), '192.0.2.7', 'udp')
  assert.deepEqual(s.stats, {
    queries: 4,
    responses: { NOERROR: 1, FORMERR: 0, SERVFAIL: 0, NXDOMAIN: 1, NOTIMP: 0, REFUSED: 1, BADVERS: 0 },
    truncated: 0,
    dropped: { unreadable: 1, response: 0, oversized: 0, overload: 0 },
  })
})

test('bad options fail at construction with a typed error naming the field', () => {
  const source = fakeSource()
  const cases: Array<[Partial<DnsServerOptions>, string]> = [
    [{ zone: 'bad zone!' }, 'zone'],
    [{ zone: '' }, 'zone'],
    [{ ttl: -1 }, 'ttl'],
    [{ ttl: 1.5 }, 'ttl'],
    [{ nsAddresses: ['not-ip'] }, 'nsAddresses'],
    [{ nsNames: ['a.edge.test', 'b.edge.test'], nsAddresses: ['127.0.0.1'] }, 'nsAddresses'],
    [{ nsNames: ['ns.other.example'], nsAddresses: ['127.0.0.1'] }, 'nsAddresses'],
    [{ maxUdpPayload: 100 }, 'maxUdpPayload'],
    [{ source: undefined as unknown as DnsAnswerSource }, 'source'],
  ]
  for (const [opts, field] of cases) {
    assert.throws(() => new DnsServer({ zone: 'edge.test', source, ...opts }), (err: unknown) => {
      assert.ok(isApiError(err, 'Invalid'), String(err))
      assert.equal(err.details.causes?.[0].field, field)
      assert.match(err.message, new RegExp(`^dns ${field}`))
      return true
    }, JSON.stringify(opts))
  }
})

function silentLog(): NonNullable<DnsServerOptions['log']> {
  const noop = () => {}
  return { error: noop, warn: noop, info: noop, debug: noop, trace: noop, fatal: noop } as unknown as NonNullable<DnsServerOptions['log']>
}
