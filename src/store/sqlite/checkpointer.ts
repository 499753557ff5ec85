// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, on the committing thread: here the event loop, held 10-50 ms each time
// (the WAL copied into the database, then an fsync), which under sustained writes made the tail of
// every request's latency. A worker thread with its own connection checkpoints instead, PASSIVE
// (it never waits for nor blocks a writer), every CHECKPOINT_EVERY_MS. The automatic checkpoint
// stays as a backstop at a larger WAL (BACKSTOP_PAGES): by then the worker has copied most frames,
// so it costs little, and it lets the WAL start over under writes that never pause. Durability is
// not involved: a commit is durable once the WAL is synced (sqlite-backend.ts).
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

export const CHECKPOINT_EVERY_MS = 100
export const BACKSTOP_PAGES = 10_000

/** SQLite's answer to a checkpoint: busy (1 when it could not run), frames in the WAL, frames copied. */
export interface CheckpointResult { busy: number; log: number; checkpointed: number }

// CommonJS, evaluated in the worker: it works the same from the sources (tsx) and compiled.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.path)
const run = () => {
  try { return db.pragma('wal_checkpoint(PASSIVE)')[0] } catch (err) { return { busy: 1, log: -1, checkpointed: -1, error: String(err) } }
}
const timer = setInterval(run, workerData.everyMs)
parentPort.on('message', (m) => {
  if (m.close) { clearInterval(timer); db.close(); parentPort.close(); return }
  parentPort.postMessage({ id: m.id, result: run() })
})
`

export class Checkpointer {
  private worker: Worker
  private seq = 0
  private waiting = new Map<number, (r: CheckpointResult) => void>()
  private exited: Promise<void>

  constructor(path: string, everyMs = CHECKPOINT_EVERY_MS) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3')
    this.worker = new Worker(WORKER, { eval: true, workerData: { path, module, everyMs } })
    // Background work: it must not keep the process alive.
    this.worker.unref()
    this.worker.on('message', (m: { id: number; result: CheckpointResult }) => {
      this.waiting.get(m.id)?.(m.result)
      this.waiting.delete(m.id)
      if (!this.waiting.size) this.worker.unref()
    })
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      for (const r of this.waiting.values()) r({ busy: 1, log: -1, checkpointed: -1 })
      this.waiting.clear()
      resolve()
    }))
  }

  /** Checkpoints now (on the worker); resolves with SQLite's answer. */
  now(): Promise<CheckpointResult> {
    const id = ++this.seq
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      // Someone waits for the answer: the process stays up for it.
      this.worker.ref()
      this.worker.postMessage({ id })
    })
  }

  /** Closes the worker's connection and waits for it to end. */
  async close(): Promise<void> {
    this.worker.ref()
    this.worker.postMessage({ close: true })
    await this.exited
  }
}
