// Per-client token buckets on a ManualClock: burst, refill, retry-after, bounded memory.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { TokenBuckets } from '../../src/lib/token-buckets.js'

test('a burst is allowed, then requests wait for the refill rate', () => {
  const clock = new ManualClock()
  const b = new TokenBuckets(clock, 10, 5)
  for (let i = 0; i < 5; i++) assert.equal(b.take('1.2.3.4'), 0, `burst request ${i}`)
  assert.equal(b.take('1.2.3.4'), 100, 'one token every 100 ms at 10/s')
  clock.advance(50)
  assert.equal(b.take('1.2.3.4'), 50)
  clock.advance(50)
  assert.equal(b.take('1.2.3.4'), 0)
  assert.equal(b.take('1.2.3.4'), 100)
})

test('keys are independent and refills never exceed the burst', () => {
  const clock = new ManualClock()
  const b = new TokenBuckets(clock, 2, 3)
  for (let i = 0; i < 3; i++) b.take('a')
  assert.ok(b.take('a') > 0)
  assert.equal(b.take('b'), 0, 'another client is unaffected')
  clock.advance(60_000)
  assert.equal(b.tokens('a'), 3)
  for (let i = 0; i < 3; i++) assert.equal(b.take('a'), 0)
  assert.ok(b.take('a') > 0)
})

test('a slow rate gives a retry-after of seconds', () => {
  const clock = new ManualClock()
  const b = new TokenBuckets(clock, 0.5, 1)
  assert.equal(b.take('x'), 0)
  assert.equal(b.take('x'), 2000)
})

test('rate 0 disables limiting', () => {
  const b = new TokenBuckets(new ManualClock(), 0, 0)
  assert.equal(b.enabled, false)
  for (let i = 0; i < 1000; i++) assert.equal(b.take('x'), 0)
  assert.equal(b.size, 0)
})

test('memory is bounded: refilled buckets are swept, beyond maxKeys the oldest go', () => {
  const clock = new ManualClock()
  const b = new TokenBuckets(clock, 10, 10, 100)
  for (let i = 0; i < 100; i++) b.take(`10.0.0.${i}`)
  assert.equal(b.size, 100)
  clock.advance(1000) // all refilled
  b.take('10.0.1.1')
  assert.equal(b.size, 1, 'the full buckets were swept to make room')
  for (let i = 0; i < 250; i++) b.take(`10.1.${i >> 8}.${i & 255}`)
  assert.ok(b.size <= 100, `size ${b.size} stays within maxKeys`)
})
