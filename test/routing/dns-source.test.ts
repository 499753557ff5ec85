// The DNS answer source over the routing table: one address (the best site) by default, because
// resolvers reorder RRsets; two when asked; a time-based SOA serial that moves only on change.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TableAnswerSource } from '../../src/routing/dns-source.js'
import type { RoutingTable } from '../../src/routing/table.js'

/** The three things the source reads of the table; the ranking itself is tested in table.test.ts. */
function table(sites: string[]) {
  const t = {
    generation: 1,
    hasHost: (h: string) => h === 'web.edge.test',
    best: (_h: string, _ip: string, k: number) => ({
      client: { ip: '198.51.100.7', source: 'rule', prefixLength: 24 },
      ranked: sites.slice(0, k).map((s, i) => ({ site: s, gateways: [`127.0.${i + 1}.1:8080`] })),
    }),
  }
  return t as typeof t & RoutingTable
}

test('one address per answer by default: the best site only', () => {
  const src = new TableAnswerSource(table(['paris', 'frankfurt', 'tokyo']), 'edge.test')
  assert.deepEqual(src.answer('web.edge.test', { address: '198.51.100.7' }), { a: ['127.0.1.1'], aaaa: [], scopePrefix: 24 })
  assert.equal(src.answer('other.edge.test', { address: '198.51.100.7' }), undefined)
})

test('two addresses when asked: best, then fallback', () => {
  const src = new TableAnswerSource(table(['paris', 'frankfurt', 'tokyo']), 'edge.test', 2)
  assert.deepEqual(src.answer('web.edge.test', { address: '198.51.100.7' })!.a, ['127.0.1.1', '127.0.2.1'])
})

test('a single usable site answers everyone alike (scope 0), even in one-answer mode', () => {
  const src = new TableAnswerSource(table(['paris']), 'edge.test')
  assert.equal(src.answer('web.edge.test', { address: '198.51.100.7' })!.scopePrefix, 0)
})

test('the SOA serial is the time of the first look after a change, never going back', () => {
  const t = table(['paris'])
  let now = 1_700_000_000_500
  const src = new TableAnswerSource(t, 'edge.test', 1, () => now)
  assert.equal(src.serial(), 1_700_000_000)
  now += 30_000
  assert.equal(src.serial(), 1_700_000_000, 'no change in the table: the same serial')
  t.generation++
  assert.equal(src.serial(), 1_700_000_030)
  now -= 60_000 // a clock stepped back
  t.generation++
  assert.equal(src.serial(), 1_700_000_030, 'monotonic')
})

test('a host with no healthy site: NODATA (no address, the name exists), not NXDOMAIN and not SERVFAIL', () => {
  const src = new TableAnswerSource(table([]), 'edge.test')
  assert.deepEqual(src.answer('web.edge.test', { address: '198.51.100.7' }), { a: [], aaaa: [], scopePrefix: 0 })
})
