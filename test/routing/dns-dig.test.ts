// Real `dig` (BIND's client, Debian package dnsutils) against a listening DnsServer on loopback:
// UDP and TCP, NXDOMAIN, NODATA, REFUSED, two ECS client subnets answered with two sites and the
// option echoed with its scope, truncation falling back to TCP, and a datagram of random bytes
// survived. Outside CI a missing dig skips these tests with the reason; in CI (CI=true) they fail.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { DnsServer, type DnsServerOptions } from '../../src/routing/dns/server.js'
import type { DnsAnswerSource } from '../../src/routing/types.js'

const missing = spawnSync('dig', ['-v']).error ? 'dig is not installed (apt-get install dnsutils)' : undefined
const skip = missing && process.env.CI !== 'true' ? missing : false
const run = promisify(execFile)
const silent = { info() {}, error() {}, warn() {}, debug() {} } as unknown as NonNullable<DnsServerOptions['log']>

/** Site by client subnet, the way the routing table keys answers on the ECS subnet. */
const source: DnsAnswerSource = {
  answer(name, client) {
    if (name === 'web.edge.test') {
      const a = client.address.startsWith('198.51.100.') ? '127.0.9.1' : client.address.startsWith('203.0.113.') ? '127.0.9.2' : '127.0.9.3'
      return { a: [a], aaaa: [], scopePrefix: 24 }
    }
    if (name === 'big.edge.test') return { a: Array.from({ length: 60 }, (_, i) => `10.9.0.${i}`), aaaa: [], scopePrefix: 0 }
    return undefined
  },
}

let dns: DnsServer
let port = 0

/** dig must run asynchronously: the server answers from this same event loop. */
async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args])
  return stdout
}
const status = (out: string) => /status: (\w+)/.exec(out)?.[1]
const answers = (out: string) => [...out.matchAll(/^(\S+)\s+(\d+)\s+IN\s+(A|AAAA|SOA|NS)\s+(.+)$/gm)]
  .filter((m) => !out.slice(0, m.index).includes('AUTHORITY SECTION')).map((m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`)

test('dig against the DNS server', { skip, timeout: 60_000 }, async (t) => {
  if (missing) assert.fail(`in CI this test must run, but ${missing}`)
  dns = new DnsServer({ zone: 'edge.test', source, log: silent, nsAddresses: ['127.0.0.1'], nsid: 'replica-a' })
  const at = await dns.listen({ udp: '127.0.0.1:0', tcp: '127.0.0.1:0' })
  port = at.udp!.port
  t.after(() => dns.close())

  await t.test('A over UDP, authoritative', async () => {
    const out = await dig('web.edge.test', 'A')
    assert.equal(status(out), 'NOERROR')
    assert.match(out, /flags: qr aa/)
    assert.deepEqual(answers(out), ['web.edge.test. 5 A 127.0.9.3'])
    assert.match(out, /SERVER: 127\.0\.0\.1#\d+\(127\.0\.0\.1\) \(UDP\)/)
  })

  await t.test('NSID (RFC 5001) when asked, and only then', async () => {
    assert.match(await dig('+nsid', 'web.edge.test', 'A'), /NSID: .*\("replica-a"\)/)
    assert.doesNotMatch(await dig('web.edge.test', 'A'), /NSID/)
  })

  await t.test('A over TCP', async () => {
    const out = await dig('+tcp', 'WEB.edge.test.', 'A')
    assert.equal(status(out), 'NOERROR')
    assert.deepEqual(answers(out), ['WEB.edge.test. 5 A 127.0.9.3'])
    assert.match(out, /\(TCP\)/)
  })

  await t.test('NXDOMAIN with the SOA in authority', async () => {
    const out = await dig('nope.edge.test', 'A')
    assert.equal(status(out), 'NXDOMAIN')
    assert.match(out, /AUTHORITY SECTION:\nedge\.test\.\s+5\s+IN\s+SOA\s+ns1\.edge\.test\. hostmaster\.edge\.test\. 1 3600 600 86400 5/)
  })

  await t.test('NODATA: AAAA for a name with only A', async () => {
    const out = await dig('web.edge.test', 'AAAA')
    assert.equal(status(out), 'NOERROR')
    assert.match(out, /ANSWER: 0, AUTHORITY: 1/)
    assert.match(out, /AUTHORITY SECTION:\nedge\.test\.\s+5\s+IN\s+SOA/)
  })

  await t.test('REFUSED outside the zone', async () => {
    const out = await dig('example.com', 'A')
    assert.equal(status(out), 'REFUSED')
    assert.doesNotMatch(out, /flags: qr aa/)
  })

  await t.test('SOA and NS at the apex', async () => {
    assert.deepEqual(answers(await dig('edge.test', 'SOA')), ['edge.test. 300 SOA ns1.edge.test. hostmaster.edge.test. 1 3600 600 86400 5'])
    const ns = await dig('edge.test', 'NS')
    assert.deepEqual(answers(ns), ['edge.test. 300 NS ns1.edge.test.', 'ns1.edge.test. 300 A 127.0.0.1'])
  })

  await t.test('two ECS client subnets get two sites; the option is echoed with scope /24', async () => {
    const a = await dig('+subnet=198.51.100.0/24', 'web.edge.test', 'A')
    const b = await dig('+subnet=203.0.113.0/24', 'web.edge.test', 'A')
    assert.deepEqual(answers(a), ['web.edge.test. 5 A 127.0.9.1'])
    assert.deepEqual(answers(b), ['web.edge.test. 5 A 127.0.9.2'])
    assert.match(a, /CLIENT-SUBNET: 198\.51\.100\.0\/24\/24/)
    assert.match(b, /CLIENT-SUBNET: 203\.0\.113\.0\/24\/24/)
  })

  await t.test('a large answer is truncated over UDP and dig retries over TCP', async () => {
    const out = await dig('big.edge.test', 'A')
    assert.match(out, /Truncated, retrying in TCP mode/)
    assert.equal(answers(out).length, 60)
    assert.match(out, /\(TCP\)/)
  })

  await t.test('a datagram of random bytes is survived', async () => {
    const udp = createSocket('udp4')
    const before = dns.stats.queries
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => udp.send(randomBytes(1 + i * 30), port, '127.0.0.1', () => r()))
    udp.close()
    const out = await dig('web.edge.test', 'A')
    assert.equal(status(out), 'NOERROR', 'the server still answers dig')
    assert.ok(dns.stats.queries >= before + 21)
  })
})
