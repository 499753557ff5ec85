// DnsServer on real sockets without dig: UDP round trip, TCP framing (pipelined and split queries),
// idle timeout, oversized frames, connection limit, shared free port, and listen errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { decode, encode } from 'dns-packet'
import { DnsServer, type DnsServerOptions } from '../../src/routing/dns/server.js'
import { isApiError } from '../../src/api/errors.js'

const silent = { info() {}, error() {}, warn() {}, debug() {} } as unknown as NonNullable<DnsServerOptions['log']>

async function start(opts: Partial<DnsServerOptions> = {}): Promise<{ dns: DnsServer; port: number }> {
  const dns = new DnsServer({
    zone: 'edge.test', log: silent, ...opts,
    source: { answer: (name, client) => (name === 'web.edge.test' ? { a: [client.address === '127.0.0.1' ? '127.0.9.1' : '127.0.9.9'], aaaa: [], scopePrefix: 0 } : undefined) },
  })
  const at = await dns.listen('127.0.0.1:0')
  assert.equal(at.udp!.port, at.tcp!.port, 'port 0 gives UDP and TCP the same free port')
  return { dns, port: at.tcp!.port }
}

const query = (id: number, name = 'web.edge.test') => encode({ id, type: 'query', flags: 0x0100, questions: [{ name, type: 'A' }] })
const frame = (msg: Buffer) => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg])

/** Collects length-framed messages from a TCP socket. */
function frames(sock: Socket): { next(): Promise<Buffer>; closed: Promise<unknown> } {
  let buf = Buffer.alloc(0)
  const got: Buffer[] = []
  let wake: (() => void) | undefined
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d])
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      got.push(buf.subarray(2, 2 + buf.readUInt16BE(0)))
      buf = buf.subarray(2 + buf.readUInt16BE(0))
    }
    wake?.()
  })
  return {
    async next() {
      while (!got.length) await new Promise<void>((r) => { wake = r })
      return got.shift()!
    },
    closed: once(sock, 'close'),
  }
}

async function dial(port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1')
  await once(sock, 'connect')
  return sock
}

test('one free port serves UDP and TCP; a UDP query is answered for the sender\'s address', async (t) => {
  const { dns, port } = await start()
  t.after(() => dns.close())
  const udp = createSocket('udp4')
  t.after(() => udp.close())
  udp.send(query(7), port, '127.0.0.1')
  const [msg] = await once(udp, 'message') as [Buffer]
  const r = decode(msg)
  assert.equal(r.id, 7)
  assert.deepEqual(r.answers!.map((a) => (a as { data?: unknown }).data), ['127.0.9.1'])
})

test('TCP: pipelined queries in one write and a query split byte by byte are answered in order', async (t) => {
  const { dns, port } = await start()
  t.after(() => dns.close())
  const sock = await dial(port)
  t.after(() => sock.destroy())
  const rx = frames(sock)
  sock.write(Buffer.concat([frame(query(1)), frame(query(2, 'nope.edge.test')), frame(query(3, 'example.com'))]))
  const replies = [await rx.next(), await rx.next(), await rx.next()].map((m) => decode(m) as ReturnType<typeof decode> & { rcode: string })
  assert.deepEqual(replies.map((r) => [r.id, r.rcode]), [[1, 'NOERROR'], [2, 'NXDOMAIN'], [3, 'REFUSED']])

  const split = frame(query(4))
  for (const byte of split) {
    sock.write(Buffer.from([byte]))
    await new Promise((r) => setImmediate(r))
  }
  assert.equal(decode(await rx.next()).id, 4)
  // A response packet over TCP gets no reply, and the connection carries on.
  sock.write(frame(encode({ id: 5, type: 'response', questions: [{ name: 'web.edge.test', type: 'A' }] })))
  sock.write(frame(query(6)))
  assert.equal(decode(await rx.next()).id, 6)
  assert.equal(dns.stats.dropped.response, 1)
})

test('TCP: an idle connection is closed after the idle timeout', async (t) => {
  const { dns, port } = await start({ tcpIdleTimeoutMs: 200 })
  t.after(() => dns.close())
  const sock = await dial(port)
  const rx = frames(sock)
  sock.write(frame(query(1)))
  await rx.next()
  const t0 = Date.now()
  await rx.closed
  assert.ok(Date.now() - t0 < 5000)
})

test('TCP: a frame longer than the largest query ends the connection; the server keeps serving', async (t) => {
  const { dns, port } = await start({ maxQuerySize: 1024 })
  t.after(() => dns.close())
  const sock = await dial(port)
  const rx = frames(sock)
  sock.write(Buffer.from([0xff, 0xff, 1, 2, 3]))
  await rx.closed
  assert.equal(dns.stats.dropped.oversized, 1)
  const again = await dial(port)
  t.after(() => again.destroy())
  const rx2 = frames(again)
  again.write(frame(query(9)))
  assert.equal(decode(await rx2.next()).id, 9)
})

test('TCP: connections beyond the limit are turned away and counted', async (t) => {
  const { dns, port } = await start({ maxTcpConnections: 2 })
  t.after(() => dns.close())
  const a = await dial(port)
  const b = await dial(port)
  t.after(() => { a.destroy(); b.destroy() })
  await new Promise((r) => setTimeout(r, 50))
  const c = connect(port, '127.0.0.1')
  c.on('error', () => {})
  await once(c, 'close')
  assert.equal(dns.stats.dropped.overload, 1)
})

test('close() ends open connections; listen on a taken port is a typed error', async () => {
  const { dns, port } = await start()
  const sock = await dial(port)
  const rx = frames(sock)
  const other = new DnsServer({ zone: 'edge.test', log: silent, source: { answer: () => undefined } })
  await assert.rejects(other.listen({ udp: `127.0.0.1:${port}`, tcp: `127.0.0.1:${port}` }), (err: unknown) => {
    assert.ok(isApiError(err, 'Unavailable'))
    assert.match(err.message, /cannot listen on udp 127\.0\.0\.1:\d+.*EADDRINUSE/)
    return true
  })
  await assert.rejects(other.listen({ udp: 'localhost:53' }), (err: unknown) => isApiError(err, 'Invalid') && /IP:PORT/.test(err.message))
  // Only TCP asked for: UDP stays closed.
  const tcpOnly = await other.listen({ udp: false, tcp: '127.0.0.1:0' })
  assert.equal(tcpOnly.udp, undefined)
  assert.ok(tcpOnly.tcp!.port > 0)
  await other.close()
  await dns.close()
  await rx.closed
})
