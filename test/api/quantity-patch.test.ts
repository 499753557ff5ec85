// Resource quantities (cpu, memory) and JSON merge patch.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../src/api/errors.js'
import { formatCpu, formatMemory, parseCpu, parseMemory } from '../../src/api/quantity.js'
import { mergePatch } from '../../src/api/merge-patch.js'

test('parseCpu: cores and millicores to millicores', () => {
  assert.equal(parseCpu('500m'), 500)
  assert.equal(parseCpu('2'), 2000)
  assert.equal(parseCpu('0.25'), 250)
  assert.equal(parseCpu(1.5), 1500)
  assert.equal(parseCpu(' 100m '), 100)
  assert.equal(parseCpu(undefined), 0)
})

test('parseMemory: bytes with binary and decimal suffixes', () => {
  assert.equal(parseMemory('256Mi'), 256 * 1024 ** 2)
  assert.equal(parseMemory('1G'), 1e9)
  assert.equal(parseMemory('1.5Gi'), 1.5 * 1024 ** 3)
  assert.equal(parseMemory('512'), 512)
  assert.equal(parseMemory('64k'), 64_000)
  assert.equal(parseMemory('64Ki'), 65_536)
  assert.equal(parseMemory(2048), 2048)
  assert.equal(parseMemory(undefined), 0)
})

test('bad quantities are Invalid, naming the field', () => {
  for (const q of ['lots', '1.5.2', '-1', '100mm', '1k', '']) {
    assert.throws(() => parseCpu(q, 'spec.cpu'), (e: unknown) => e instanceof ApiError && e.code === 'Invalid' && e.message.startsWith('spec.cpu: ') && e.details.causes?.[0].field === 'spec.cpu', q)
  }
  for (const q of ['12XB', '1Mb', 'Gi', '-5', '1e9', '']) {
    assert.throws(() => parseMemory(q, 'spec.memory'), (e: unknown) => e instanceof ApiError && e.code === 'Invalid' && e.message.startsWith('spec.memory: '), q)
  }
})

test('formatCpu and formatMemory print what parse reads back', () => {
  assert.equal(formatCpu(2000), '2')
  assert.equal(formatCpu(250), '250m')
  assert.equal(parseCpu(formatCpu(250)), 250)
  assert.equal(formatMemory(256 * 1024 ** 2), '256Mi')
  assert.equal(formatMemory(512), '512')
  assert.equal(parseMemory(formatMemory(3 * 1024 ** 3)), 3 * 1024 ** 3)
})

test('mergePatch follows RFC 7386', () => {
  const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2], keep: 1 }
  const before = structuredClone(target)
  assert.deepEqual(mergePatch(target, { a: 'z', c: { f: null, h: 1 }, list: [3] }), { a: 'z', c: { d: 'e', h: 1 }, list: [3], keep: 1 })
  assert.deepEqual(target, before, 'the target is not modified')
  assert.deepEqual(mergePatch({ a: 1 }, { a: null, b: null }), {})
  assert.deepEqual(mergePatch({ a: { b: 1 } }, { a: 'flat' }), { a: 'flat' })
  assert.deepEqual(mergePatch('scalar', { a: 1 }), { a: 1 })
  assert.deepEqual(mergePatch({ a: 1 }, ['x']), ['x'])
  assert.equal(mergePatch({ a: 1 }, null), null)
  assert.deepEqual(mergePatch({ a: [1] }, {}), { a: [1] })
})
