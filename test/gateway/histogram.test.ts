// Fixed-bucket latency histogram and per-host report accumulation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LatencyHistogram } from '../../src/agent/gateway/histogram.js'
import { TrafficStats } from '../../src/agent/gateway/traffic-stats.js'

test('quantiles are within one bucket (8%) of the truth', () => {
  const h = new LatencyHistogram()
  for (let i = 1; i <= 1000; i++) h.record(i / 10) // 0.1 .. 100 ms uniformly
  const near = (got: number, want: number) => assert.ok(Math.abs(got - want) / want <= 0.09, `got ${got}, want ~${want}`)
  near(h.quantile(0.5), 50)
  near(h.quantile(0.99), 99)
  assert.equal(h.quantile(1), 100, 'clamped to the max')
  assert.equal(h.count, 1000)
})

test('edge values: empty, zero, huge', () => {
  const h = new LatencyHistogram()
  assert.equal(h.quantile(0.5), 0)
  h.record(0)
  h.record(-1)
  assert.equal(h.quantile(0.99), 0)
  h.record(10 * 60_000)
  assert.equal(h.quantile(1), 10 * 60_000)
  h.reset()
  assert.equal(h.count, 0)
  assert.equal(h.quantile(0.5), 0)
})

test('TrafficStats: drain reports per host, resets the interval, keeps inflight', () => {
  const s = new TrafficStats(2, 3)
  const a = s.host('a.test')
  a.requests = 5; a.errors = 1; a.overflowed = 2; a.rejected = 1; a.inflight = 1; a.saturated = true
  for (const p of ['1.1.1.0/24', '1.1.1.0/24', '2.2.2.0/24', '3.3.3.0/24', '3.3.3.0/24', '3.3.3.0/24', '4.4.4.0/24']) a.countPrefix(p)
  a.latency.record(10)
  const [r] = s.drain()
  assert.equal(r.host, 'a.test')
  assert.deepEqual({ ...r, latencyMs: undefined }, {
    host: 'a.test', requests: 5, errors: 1, overflowed: 2, rejected: 1, inflight: 1, saturated: true,
    byPrefix: { '3.3.3.0/24': 3, '1.1.1.0/24': 2 }, latencyMs: undefined,
  }, 'top 2 prefixes; the 4th distinct prefix was beyond the cap of 3')
  assert.equal(r.latencyMs.p50, 10)
  const [again] = s.drain()
  assert.equal(again.requests, 0, 'counters reset')
  assert.equal(again.inflight, 1, 'still reported while requests are in flight')
  a.inflight = 0
  assert.deepEqual(s.drain(), [], 'idle hosts are not reported and are forgotten')
})
