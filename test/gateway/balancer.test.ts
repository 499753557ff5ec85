// Least outstanding requests with round-robin ties, in-flight limits and passive-health cool-downs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { Balancer } from '../../src/agent/gateway/balancer.js'
import type { GatewayEndpoint } from '../../src/agent/gateway/types.js'

const eps = (...names: string[]): GatewayEndpoint[] => names.map((n) => ({ id: n, address: `${n}:80`, ready: true }))
const addr = (p: GatewayEndpoint | string) => (typeof p === 'string' ? p : p.address)

test('ties are broken round robin', () => {
  const b = new Balancer(new ManualClock(), 10, 5000)
  const e = eps('a', 'b', 'c')
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => addr(b.pick('h', e))), ['a:80', 'b:80', 'c:80', 'a:80', 'b:80', 'c:80'])
})

test('the endpoint with the fewest outstanding requests wins', () => {
  const b = new Balancer(new ManualClock(), 10, 5000)
  const e = eps('a', 'b', 'c')
  b.acquire('a:80'); b.acquire('a:80'); b.acquire('b:80')
  for (let i = 0; i < 3; i++) assert.equal(addr(b.pick('h', e)), 'c:80')
  b.acquire('c:80'); b.acquire('c:80')
  assert.equal(addr(b.pick('h', e)), 'b:80')
  b.release('a:80'); b.release('a:80')
  assert.equal(addr(b.pick('h', e)), 'a:80')
})

test('concurrent picks spread evenly when each acquires', () => {
  const b = new Balancer(new ManualClock(), 100, 5000)
  const e = eps('a', 'b')
  const counts: Record<string, number> = {}
  for (let i = 0; i < 10; i++) {
    const p = addr(b.pick('h', e))
    b.acquire(p)
    counts[p] = (counts[p] ?? 0) + 1
  }
  assert.deepEqual(counts, { 'a:80': 5, 'b:80': 5 })
})

test('not-ready endpoints are skipped; none ready → "none"', () => {
  const b = new Balancer(new ManualClock(), 10, 5000)
  const e: GatewayEndpoint[] = [{ id: 'a', address: 'a:80', ready: false }, { id: 'b', address: 'b:80', ready: true }]
  for (let i = 0; i < 4; i++) assert.equal(addr(b.pick('h', e)), 'b:80')
  assert.equal(b.pick('h', [{ id: 'a', address: 'a:80', ready: false }]), 'none')
  assert.equal(b.pick('h', []), 'none')
})

test('every endpoint at its in-flight limit → "saturated"', () => {
  const b = new Balancer(new ManualClock(), 2, 5000)
  const e = eps('a', 'b')
  for (let i = 0; i < 4; i++) b.acquire(addr(b.pick('h', e)))
  assert.equal(b.pick('h', e), 'saturated')
  b.release('b:80')
  assert.equal(addr(b.pick('h', e)), 'b:80')
})

test('a failed endpoint cools down, then comes back; all cooling → "failing"', () => {
  const clock = new ManualClock()
  const b = new Balancer(clock, 10, 5000)
  const e = eps('a', 'b')
  b.markFailed('a:80')
  assert.ok(b.isCooling('a:80'))
  for (let i = 0; i < 3; i++) assert.equal(addr(b.pick('h', e)), 'b:80')
  b.markFailed('b:80')
  assert.equal(b.pick('h', e), 'failing')
  assert.notEqual(typeof b.pick('h', e, undefined, true), 'string', 'ignoring the cool-down finds one (last resort)')
  clock.advance(5000)
  assert.equal(b.isCooling('a:80'), false)
  assert.equal(typeof b.pick('h', e), 'object')
})

test('exclude skips the endpoint already tried', () => {
  const b = new Balancer(new ManualClock(), 10, 5000)
  const e = eps('a', 'b')
  for (let i = 0; i < 4; i++) assert.equal(addr(b.pick('h', e, 'a:80')), 'b:80')
  assert.equal(b.pick('h', eps('a'), 'a:80'), 'none')
})

test('prune forgets idle healthy addresses but keeps busy and cooling ones', () => {
  const clock = new ManualClock()
  const b = new Balancer(clock, 10, 5000)
  b.acquire('busy:80'); b.markFailed('sick:80'); b.acquire('idle:80'); b.release('idle:80')
  b.prune()
  assert.equal(b.inflight('busy:80'), 1)
  assert.ok(b.isCooling('sick:80'))
  b.release('never-acquired:80')
  assert.equal(b.inflight('never-acquired:80'), 0, 'release never goes negative')
})
