import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../src/lib/clock.js'
import { capLogFile, readLog } from '../../src/agent/runtime/log-files.js'
import { sleep, tempDir } from './helpers.js'

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(3, '0')}\n`).join('')

async function collect(it: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const chunk of it) out += chunk
  return out
}

/** Next chunk of a followed log, moving the manual clock until it comes. */
async function nextChunk(it: AsyncIterator<string>, clock: ManualClock): Promise<IteratorResult<string>> {
  const p = it.next()
  let result: IteratorResult<string> | undefined
  void p.then((r) => { result = r })
  // File reads run on the thread pool, so wait in real time (briefly) between clock moves.
  const deadline = Date.now() + 3000
  while (!result && Date.now() < deadline) {
    await sleep(2)
    if (!result) clock.advance(250)
  }
  assert.ok(result, 'a chunk came')
  return result
}

test('capLogFile keeps about the last half, starting at a line boundary', (t) => {
  const file = join(tempDir(t), 'a.log')
  writeFileSync(file, lines(0, 100)) // 900 bytes
  assert.equal(capLogFile(file, 1000), false)
  assert.equal(statSync(file).size, 900)
  assert.equal(capLogFile(file, 400), true)
  const kept = readFileSync(file, 'utf8')
  assert.ok(kept.length <= 200 && kept.length > 150, `kept ${kept.length} bytes`)
  assert.match(kept, /^line \d{3}\n/)
  assert.ok(kept.endsWith('line 099\n'))
  assert.equal(kept, lines(100 - kept.length / 9, 100))
  assert.equal(capLogFile(join(tempDir(t), 'missing.log'), 10), false)
})

test('capping keeps the inode, so an O_APPEND writer lands at the new end', (t) => {
  const file = join(tempDir(t), 'a.log')
  writeFileSync(file, lines(0, 100))
  const ino = statSync(file).ino
  capLogFile(file, 400)
  appendFileSync(file, 'after cap\n')
  assert.equal(statSync(file).ino, ino)
  assert.ok(readFileSync(file, 'utf8').endsWith('line 099\nafter cap\n'))
})

test('readLog gives all, or the last N lines (with or without a final newline)', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'a.log')
  writeFileSync(file, lines(0, 10))
  assert.equal(await collect(readLog(file)), lines(0, 10))
  assert.equal(await collect(readLog(file, { tailLines: 3 })), lines(7, 10))
  assert.equal(await collect(readLog(file, { tailLines: 0 })), '')
  assert.equal(await collect(readLog(file, { tailLines: 50 })), lines(0, 10))
  appendFileSync(file, 'partial')
  assert.equal(await collect(readLog(file, { tailLines: 2 })), 'line 009\npartial')
  assert.equal(await collect(readLog(join(dir, 'missing.log'), { tailLines: 5 })), '')
})

test('readLog follows appends, restarts after capping, and ends on abort', async (t) => {
  const file = join(tempDir(t), 'a.log')
  writeFileSync(file, lines(0, 100))
  const clock = new ManualClock()
  const ac = new AbortController()
  const it = readLog(file, { tailLines: 2, follow: true, signal: ac.signal, clock })[Symbol.asyncIterator]()
  assert.equal((await nextChunk(it, clock)).value, lines(98, 100))

  appendFileSync(file, 'new 1\n')
  assert.equal((await nextChunk(it, clock)).value, 'new 1\n')

  capLogFile(file, 400)
  appendFileSync(file, 'new 2\n')
  const afterCap = (await nextChunk(it, clock)).value as string
  assert.match(afterCap, /^line \d{3}\n/, 'read again from the start of the capped file')
  assert.ok(afterCap.endsWith('new 1\nnew 2\n'))

  ac.abort()
  assert.equal((await nextChunk(it, clock)).done, true)
})
