// Buffered random names: the right length, hex only, and no byte handed out twice (across the
// buffer's refills too).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomHex } from '../../src/lib/random-hex.js'

test('randomHex: n bytes as 2n hex digits, distinct across refills of its buffer', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 3000; i++) { // 3 × 4 KiB of 4-byte names: three refills
    const h = randomHex(4)
    assert.match(h, /^[0-9a-f]{8}$/)
    seen.add(h)
  }
  assert.ok(seen.size >= 2998, `names repeat more than chance allows (${3000 - seen.size} repeats)`)
  assert.match(randomHex(4096), /^[0-9a-f]{8192}$/)
  assert.notEqual(randomHex(16), randomHex(16))
})
