// autoscaleReplicas: replicas from observed demand, with a ±10% band and a scale-down delay so
// the count does not flap; scale-up is immediate; always within [min, max].
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { autoscaleReplicas } from '../../src/scheduler/autoscale.js'
import type { Autoscale } from '../../src/api/kinds/index.js'

const spec: Autoscale = { min: 1, max: 20, targetPerReplica: { requestsPerSecond: 100 }, scaleDownDelaySeconds: 60 }
const NOW = 1_000_000
const S = 1000

test('autoscale: scales up at once to what the load needs at the target', () => {
  const d = autoscaleReplicas(2, { rps: 450 }, spec, undefined, NOW)
  assert.deepEqual([d.replicas, d.direction], [5, 'up'])
  assert.match(d.reason, /450 req\/s: 5 replicas at the target per replica/)
  assert.equal(autoscaleReplicas(2, { rps: 450 }, spec, NOW - 1, NOW).replicas, 5, 'a recent scale-down does not hold a scale-up')
})

test('autoscale: holds within ±10% of the target', () => {
  for (const rps of [360, 400, 430]) assert.deepEqual(autoscaleReplicas(4, { rps }, spec, undefined, NOW).direction, 'hold', `${rps}`)
  assert.equal(autoscaleReplicas(4, { rps: 445 }, spec, undefined, NOW).replicas, 5)
})

test('autoscale: scales down only to what keeps the load 10% below target, and not within the delay', () => {
  const d = autoscaleReplicas(10, { rps: 450 }, spec, undefined, NOW)
  assert.deepEqual([d.replicas, d.direction], [5, 'down'], 'ceil(450 / 90)')
  const held = autoscaleReplicas(10, { rps: 450 }, spec, NOW - 20 * S, NOW)
  assert.deepEqual([held.replicas, held.direction, held.retryAt], [10, 'hold', NOW + 40 * S])
  assert.match(held.reason, /scale-down waits 40s more/)
  assert.equal(autoscaleReplicas(10, { rps: 450 }, spec, NOW - 60 * S, NOW).replicas, 5)
})

test('autoscale: no flapping around a steady load', () => {
  let replicas = 3
  let last: number | undefined
  const changes: number[] = []
  for (let t = 0; t < 600; t += 5) {
    const rps = 500 + (t % 20 === 0 ? 30 : -30) // ±6% noise
    const d = autoscaleReplicas(replicas, { rps }, spec, last, NOW + t * S)
    if (d.replicas !== replicas) { changes.push(d.replicas); if (d.direction !== 'hold') last = NOW + t * S }
    replicas = d.replicas
  }
  assert.deepEqual(changes, [6], 'one scale-up, then steady')
})

test('autoscale: the busier metric decides; clamped to min and max; no data holds', () => {
  const both: Autoscale = { ...spec, targetPerReplica: { requestsPerSecond: 100, concurrentConnections: 50 } }
  assert.equal(autoscaleReplicas(2, { rps: 150, connections: 400 }, both, undefined, NOW).replicas, 8)
  assert.equal(autoscaleReplicas(2, { rps: 1e6 }, spec, undefined, NOW).replicas, 20)
  assert.equal(autoscaleReplicas(5, { rps: 0 }, spec, undefined, NOW).replicas, 1)
  assert.equal(autoscaleReplicas(5, { rps: 0 }, { ...spec, min: 0 }, undefined, NOW).replicas, 0)
  assert.equal(autoscaleReplicas(0, { rps: 1 }, { ...spec, min: 0 }, undefined, NOW).replicas, 1, 'from zero on any demand')
  assert.deepEqual(autoscaleReplicas(5, {}, spec, undefined, NOW), { replicas: 5, direction: 'hold', reason: 'no demand measured' })
  assert.equal(autoscaleReplicas(30, { rps: 3000 }, spec, undefined, NOW).replicas, 20, 'outside [min, max]: clamped first')
})
