import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Heap } from '../../src/scheduler/heap.js'

test('heap: pops in order for any push order', () => {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let round = 0; round < 50; round++) {
    const xs = Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 20))
    const h = new Heap<number>((a, b) => a < b, xs)
    const out: number[] = []
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x)
    assert.deepEqual(out, [...xs].sort((a, b) => a - b))
    assert.equal(h.size, 0)
  }
})
