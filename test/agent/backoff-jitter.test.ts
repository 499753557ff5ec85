// backoffDelay: full jitter, uniformly in [0, min(max, initial·2^attempt)], from the injected random.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay } from '../../src/agent/link-client.js'
import { mulberry32 } from '../../src/lib/rng.js'

const B = { initialMs: 500, maxMs: 30_000 }


test('backoff: the ceiling doubles per attempt up to the maximum', () => {
  const top = () => 1 - Number.EPSILON
  const ceilings = Array.from({ length: 10 }, (_, n) => backoffDelay(n, B, top))
  assert.deepEqual(ceilings, [499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999, 29999])
})

test('backoff: random 0 gives 0, random ½ gives half the ceiling', () => {
  for (let n = 0; n < 40; n++) assert.equal(backoffDelay(n, B, () => 0), 0)
  assert.equal(backoffDelay(0, B, () => 0.5), 250)
  assert.equal(backoffDelay(3, B, () => 0.5), 2000)
  assert.equal(backoffDelay(20, B, () => 0.5), 15_000)
})

test('backoff: every delay is an integer within [0, min(max, initial·2^n)]', () => {
  const random = mulberry32(42)
  for (let n = 0; n < 64; n++) {
    const cap = Math.min(B.maxMs, B.initialMs * 2 ** n)
    for (let k = 0; k < 50; k++) {
      const d = backoffDelay(n, B, random)
      assert.ok(Number.isInteger(d) && d >= 0 && d <= cap, `attempt ${n}: ${d} not in [0, ${cap}]`)
    }
  }
})

test('backoff: the jitter comes from the injected random only', () => {
  const a = Array.from({ length: 20 }, (_, n) => backoffDelay(n, B, mulberry32(7)))
  const b = Array.from({ length: 20 }, (_, n) => backoffDelay(n, B, mulberry32(7)))
  assert.deepEqual(a, b, 'same random, same delays')
  let calls = 0
  backoffDelay(5, B, () => { calls++; return 0.3 })
  assert.equal(calls, 1)
})

test('backoff: delays are spread over the window (a restarted server is not stormed)', () => {
  const random = mulberry32(1)
  const delays = Array.from({ length: 1000 }, () => backoffDelay(10, B, random))
  const buckets = new Array(10).fill(0)
  for (const d of delays) buckets[Math.min(9, Math.floor(d / 3000))]++
  for (const n of buckets) assert.ok(n > 60 && n < 140, `uneven spread: ${buckets.join(',')}`)
})

test('backoff: huge attempt counts stay finite', () => {
  assert.equal(backoffDelay(1e9, B, () => 0.999), Math.floor(0.999 * 30_000))
  assert.equal(backoffDelay(1e9, { initialMs: 1, maxMs: Number.MAX_SAFE_INTEGER }, () => 0.5), 2 ** 29)
})
