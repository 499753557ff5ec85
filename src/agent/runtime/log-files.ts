// Instance log files: the workload appends to them directly (O_APPEND), the agent caps their size
// in place and streams them to `edgeplane logs`.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { systemClock, type Clock } from '../../lib/clock.js'

const CHUNK = 64 * 1024

/**
 * When the file exceeds maxBytes, keeps about its last maxBytes/2 bytes, starting at a line
 * boundary. Rewritten in place (same inode) so the workload's O_APPEND fd keeps writing at the new
 * end. Returns whether it capped.
 */
export function capLogFile(path: string, maxBytes: number): boolean {
  let size: number
  try {
    size = statSync(path).size
  } catch {
    return false
  }
  if (size <= maxBytes) return false
  const keep = Math.floor(maxBytes / 2)
  // O_APPEND on our fd too: a workload write racing the rewrite lands before the tail, never under it.
  const fd = openSync(path, 'a+')
  try {
    size = fstatSync(fd).size // it may have grown since
    const buf = Buffer.alloc(keep)
    const n = readSync(fd, buf, 0, keep, size - keep)
    let tail = buf.subarray(0, n)
    const nl = tail.indexOf(0x0a)
    if (nl >= 0) tail = tail.subarray(nl + 1) // drop the partial first line
    ftruncateSync(fd, 0)
    writeSync(fd, tail)
    return true
  } finally {
    closeSync(fd)
  }
}

export interface ReadLogOptions {
  /** Only the last N lines (all when undefined). */
  tailLines?: number
  /** Keep streaming what gets appended until signal aborts. */
  follow?: boolean
  signal?: AbortSignal
  clock?: Clock
  pollMs?: number
}

/**
 * Chunks of the log: the tail first, then (follow) new data as it appears. A shrunken file was
 * capped; reading restarts from its beginning. A missing file reads as empty.
 */
export async function* readLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<string> {
  const clock = opts.clock ?? systemClock
  const pollMs = opts.pollMs ?? 250
  const signal = opts.signal
  let decoder = new StringDecoder('utf8')
  let offset = opts.tailLines === undefined ? 0 : await tailOffset(path, opts.tailLines)
  for (;;) {
    if (signal?.aborted) return
    const size = await fileSize(path)
    if (size < offset) {
      offset = 0
      decoder = new StringDecoder('utf8')
    }
    while (offset < size) {
      const buf = await readAt(path, offset, Math.min(CHUNK, size - offset))
      if (!buf.length) break
      offset += buf.length
      const text = decoder.write(buf)
      if (text) yield text
      if (signal?.aborted) return
    }
    if (!opts.follow) {
      const rest = decoder.end()
      if (rest) yield rest
      return
    }
    await sleep(clock, pollMs, signal)
  }
}

/** Byte offset where the last n lines begin; a trailing newline does not start a line. */
async function tailOffset(path: string, n: number): Promise<number> {
  const size = await fileSize(path)
  if (n <= 0) return size
  let pos = size
  let seen = 0
  let skipLast = true
  while (pos > 0) {
    const len = Math.min(CHUNK, pos)
    const buf = await readAt(path, pos - len, len)
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) { skipLast = false; continue }
      if (skipLast) { skipLast = false; continue } // the newline that ends the last line
      if (++seen === n) return pos - len + i + 1
    }
    pos -= len
  }
  return 0
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  try {
    const fh = await open(path, 'r')
    try {
      const buf = Buffer.alloc(length)
      const { bytesRead } = await fh.read(buf, 0, length, position)
      return buf.subarray(0, bytesRead)
    } finally {
      await fh.close()
    }
  } catch {
    return Buffer.alloc(0)
  }
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = clock.setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done(): void {
      timer.cancel()
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
