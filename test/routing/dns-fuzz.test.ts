// The DNS query path fuzzed with a seeded PRNG: random buffers and mutated valid queries through
// handleQuery, over both transports. It must never throw; every reply must decode, echo the query
// id, fit the UDP limit, and echo the question byte for byte when it has one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode, type OptAnswer, type Packet, type PacketOpt, type RecordType } from 'dns-packet'
import { DnsServer } from '../../src/routing/dns/server.js'
import type { DnsAnswerSource } from '../../src/routing/types.js'
import { mulberry32 } from '../../src/lib/rng.js'


const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed)

/** Answers a few names, and fails loudly (SERVFAIL, counted) if the server hands it odd input. */
const source: DnsAnswerSource = {
  answer(name, client) {
    if (name !== name.toLowerCase() || name.endsWith('.')) throw new Error(`name not canonical: ${name}`)
    if (client.sourcePrefix !== undefined && !(client.sourcePrefix >= 0 && client.sourcePrefix <= 128)) throw new Error('bad prefix')
    if (name === 'web.edge.test') return { a: ['127.0.9.1', '127.0.9.2'], aaaa: ['fd00::1'], scopePrefix: 24 }
    if (name === 'big.edge.test') return { a: Array.from({ length: 80 }, (_, i) => `10.1.0.${i}`), aaaa: [], scopePrefix: 0 }
    return undefined
  },
}

function opt(options: PacketOpt[], size = 1232): OptAnswer {
  return { name: '.', type: 'OPT', udpPayloadSize: size, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options }
}

const q = (name: string, type: RecordType = 'A', extra: Partial<Packet> = {}): Buffer =>
  encode({ id: 0x1111, type: 'query', flags: 0x0100, questions: [{ name, type, class: 'IN' }], ...extra })

const SEEDS: Buffer[] = [
  q('web.edge.test'),
  q('WEB.edge.test', 'AAAA'),
  q('big.edge.test'),
  q('edge.test', 'NS'),
  q('edge.test', 'SOA'),
  q('edge.test', 'ANY' as RecordType),
  q('nope.edge.test', 'MX'),
  q('example.com'),
  q('web.edge.test', 'A', { additionals: [opt([])] }),
  q('big.edge.test', 'A', { additionals: [opt([], 4096)] }),
  q('web.edge.test', 'A', { additionals: [opt([{ code: 8, family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: '198.51.100.0' }])] }),
  q('web.edge.test', 'AAAA', { additionals: [opt([{ code: 8, family: 2, sourcePrefixLength: 56, scopePrefixLength: 0, ip: '2001:db8:0:1200::' }])] }),
  q('a.very.long.name.below.the.zone.apex.edge.test', 'TXT', { additionals: [opt([{ code: 12, length: 16 } as PacketOpt])] }),
]

function mutate(rand: () => number, seed: Buffer): Buffer {
  let b: Buffer = Buffer.from(seed)
  const int = (n: number) => Math.floor(rand() * n)
  for (let k = 1 + int(4); k > 0; k--) {
    switch (int(7)) {
      case 0: b[int(b.length)] ^= 1 << int(8); break // flip a bit
      case 1: b[int(b.length)] = int(256); break // set a byte
      case 2: b = b.subarray(0, int(b.length + 1)); break // truncate
      case 3: { const at = int(b.length + 1); b = Buffer.concat([b.subarray(0, at), randomBytes(rand, 1 + int(8)), b.subarray(at)]); break } // insert
      case 4: { const at = int(b.length); b = Buffer.concat([b, b.subarray(at, at + int(16))]); break } // duplicate a tail piece
      case 5: if (b.length >= 12) b.writeUInt16BE(int(4), 4 + 2 * int(4)); break // small header counts
      case 6: if (b.length > 14) b[12 + int(b.length - 12)] = 0xc0; break // a stray compression pointer
    }
    if (b.length === 0) break
  }
  if (b.length > 2 && rand() < 0.8) b[2] &= 0x7f // mostly keep QR=0 so the packet gets past the first check
  return b
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256)
  return b
}

function check(s: DnsServer, msg: Buffer, transport: 'udp' | 'tcp', label: string): void {
  let reply: Buffer | undefined
  assert.doesNotThrow(() => { reply = s.handleQuery(msg, '192.0.2.1', transport) }, label)
  if (!reply) return
  assert.ok(msg.length >= 12, `${label}: a reply needs a readable header`)
  let r: ReturnType<typeof decode>
  assert.doesNotThrow(() => { r = decode(reply!) }, `${label}: the reply decodes`)
  assert.equal(r!.type, 'response', label)
  assert.equal(r!.id, msg.readUInt16BE(0), `${label}: the id is echoed`)
  // Over UDP: 512 bytes without EDNS (our reply has an OPT exactly when the query had a usable one), else our 1232.
  const limit = r!.additionals!.some((a) => a.type === 'OPT') ? 1232 : 512
  if (transport === 'udp') assert.ok(reply.length <= limit, `${label}: ${reply.length} bytes over UDP, limit ${limit}`)
  if (r!.questions!.length) {
    const echoed = encode({ questions: r!.questions }).subarray(12)
    assert.ok(echoed.equals(msg.subarray(12, 12 + echoed.length)), `${label}: the question is echoed byte for byte`)
  }
}

const hex = (b: Buffer) => b.toString('hex')

test(`random buffers never crash the query path (seed ${SEED})`, () => {
  const rand = mulberry32(SEED)
  const s = new DnsServer({ zone: 'edge.test', source })
  for (let i = 0; i < 5000; i++) {
    const msg = randomBytes(rand, Math.floor(rand() * 600))
    // Half of them get a plausible header (query, one question) so they reach the decoder.
    if (i % 2 && msg.length >= 12) { msg[2] &= 0x07; msg.writeUInt16BE(1, 4) }
    check(s, msg, i % 3 ? 'udp' : 'tcp', `random #${i} ${hex(msg)}`)
  }
  const { stats } = s
  const answered = Object.values(stats.responses).reduce((a, b) => a + b, 0)
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0)
  assert.equal(stats.queries, 5000)
  assert.equal(answered + dropped, 5000, 'every packet is either answered or counted as dropped')
  assert.ok(stats.responses.FORMERR > 1000, `FORMERR ${stats.responses.FORMERR}`)
  assert.equal(stats.responses.SERVFAIL, 0)
})

test(`mutated valid queries never crash the query path (seed ${SEED})`, () => {
  const rand = mulberry32(SEED ^ 0xabcdef)
  const s = new DnsServer({ zone: 'edge.test', source })
  for (let i = 0; i < 20000; i++) {
    const msg = mutate(rand, SEEDS[i % SEEDS.length])
    check(s, msg, i % 4 ? 'udp' : 'tcp', `mutant #${i} ${hex(msg)}`)
  }
  const { stats } = s
  assert.equal(stats.queries, 20000)
  // The mutants must reach every part of the path, not just bounce off the header checks.
  for (const rcode of ['NOERROR', 'NXDOMAIN', 'REFUSED', 'FORMERR'] as const) assert.ok(stats.responses[rcode] > 200, `${rcode}: ${stats.responses[rcode]}`)
  assert.ok(stats.truncated > 0, 'some answers were truncated')
  assert.equal(stats.responses.SERVFAIL, 0, 'the answer source never saw a non-canonical name or a bad prefix')
})
