// Loop-safe overflow: the hop count, the overflow-from chain and which fallbacks remain.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nextHop, overflowTargets, parseChain, parseHops } from '../../src/agent/gateway/hops.js'

const fb = [{ site: 'b', gateway: '127.0.32.1:80' }, { site: 'c', gateway: '127.0.33.1:80' }, { site: 'a', gateway: '127.0.31.1:80' }]

test('parseHops: absent and malformed count as 0, values are clamped', () => {
  assert.equal(parseHops(undefined), 0)
  assert.equal(parseHops(''), 0)
  assert.equal(parseHops('abc'), 0)
  assert.equal(parseHops('-3'), 0)
  assert.equal(parseHops('1.5'), 0)
  assert.equal(parseHops(' 2 '), 2)
  assert.equal(parseHops('99999999'), 1000)
})

test('parseChain splits and trims', () => {
  assert.deepEqual(parseChain(undefined), [])
  assert.deepEqual(parseChain('a, b ,,c'), ['a', 'b', 'c'])
})

test('overflowTargets: own site and sites already passed are excluded, order kept', () => {
  assert.deepEqual(overflowTargets(fb, { site: 'a', hops: 0, maxHops: 2, chain: [] }), [fb[0], fb[1]])
  assert.deepEqual(overflowTargets(fb, { site: 'b', hops: 1, maxHops: 2, chain: ['a'] }), [fb[1]])
  assert.deepEqual(overflowTargets(fb, { site: 'b', hops: 1, maxHops: 2, chain: ['a', 'c'] }), [])
})

test('overflowTargets: hops at or beyond the limit are never forwarded', () => {
  assert.equal(overflowTargets(fb, { site: 'a', hops: 2, maxHops: 2, chain: [] }), 'hop-limit')
  assert.equal(overflowTargets(fb, { site: 'a', hops: 7, maxHops: 2, chain: [] }), 'hop-limit')
  assert.equal(overflowTargets(fb, { site: 'a', hops: 0, maxHops: 0, chain: [] }), 'hop-limit', 'maxHops 0 disables overflow')
})

test('nextHop increments and appends the site', () => {
  assert.deepEqual(nextHop(0, undefined, 'a'), { hops: '1', from: 'a' })
  assert.deepEqual(nextHop(1, 'a', 'b'), { hops: '2', from: 'a, b' })
})

test('a chain of gateways that each forward ends within maxHops', () => {
  // Sites in a ring, each listing every other as fallback: follow the first target each time.
  const sites = ['a', 'b', 'c', 'd']
  const all = sites.map((s) => ({ site: s, gateway: `${s}:80` }))
  let hops = 0
  let chain: string | undefined
  let at = 'a'
  const path = [at]
  for (;;) {
    const t = overflowTargets(all, { site: at, hops, maxHops: 2, chain: parseChain(chain) })
    if (t === 'hop-limit' || t.length === 0) break
    const n = nextHop(hops, chain, at)
    hops = Number(n.hops); chain = n.from; at = t[0].site
    path.push(at)
  }
  assert.deepEqual(path, ['a', 'b', 'c'])
  assert.equal(hops, 2)
})
