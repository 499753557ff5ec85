// SQLite driver (better-sqlite3) with durable group commit. Writes queued since the last commit
// share a transaction (up to 10 ms of them, but never part of what one caller queued at once: see
// PendingWrite.unit); the WAL is then fsync'ed on libuv's thread pool
// (fs.fsync), so the event loop keeps serving while the disk syncs, and each write is acknowledged
// only after the sync that covers it. SQLite itself runs with synchronous=NORMAL (it syncs at
// checkpoints); our fsync of the WAL after every commit gives what synchronous=FULL gives: an
// acknowledged write survives a power loss. Readers of this process may see a commit before it is
// acknowledged (as with any group commit); they never see one that is rolled back.
import Database from 'better-sqlite3'
import { closeSync, fsync, openSync } from 'node:fs'
import type { Resource } from '../../api/meta.js'
import type { Backend, Mutation } from '../backend.js'
import type { WatchEvent, WatchEventType } from '../types.js'
import { MIGRATIONS, newerSchemaError, SCHEMA_SQL, SCHEMA_VERSION, SQL } from '../sql/schema.js'

type Stmt = Database.Statement<unknown[], unknown>

/** A group commit takes more writers' writes for at most this long; the rest go in the next one. */
const BATCH_BUDGET_MS = 10

interface PendingWrite {
  kind: string
  namespace: string
  name: string
  mutate: Mutation
  resolve: (ev: WatchEvent) => void
  reject: (err: unknown) => void
  /**
   * Writes queued in one synchronous run (up to the next microtask) share a unit, and a group
   * commit takes a unit whole, whatever its budget. One reconcile queues the creates of an app on
   * 10,000 sites in one run: in 10 ms batches they took 20–35 loop turns, and every turn read first
   * what the sites already served sent back (~100–250 ms a turn), so the last sites got the change
   * ~4 s after the first; as one transaction it streams out right after one commit (p99 2.2–3.1 s;
   * BENCHMARKS.md, "One commit per change"). The price: the loop is held while the unit is written
   * and handed over (1.4–1.8 s at 10,000 sites).
   */
  unit: number
}

export class SqliteBackend implements Backend {
  readonly driver = 'sqlite'
  private db: Database.Database
  private stmts: Record<keyof typeof SQL, Stmt>
  private batchTx: (pending: PendingWrite[], results: (WatchEvent | { error: unknown })[], budgetMs: number) => void
  private pending: PendingWrite[] = []
  private flushQueued = false
  private unit = 0
  private unitOpen = false
  /** Writes the batch being committed has taken so far (those fail with it if it fails). */
  private attempted = 0
  /** Acknowledgements go out in commit order (watchers must see revisions in order). */
  private acks: Promise<void> = Promise.resolve()
  private walFd: number | undefined
  private readonly walPath: string | undefined

  /** batchBudgetMs: how long one group commit takes writes for (default 10 ms; 0 = one write per batch). */
  constructor(path: string, private readonly opts: { batchBudgetMs?: number } = {}) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.walPath = path === ':memory:' || path === '' ? undefined : `${path}-wal`
    this.db.pragma(this.walPath ? 'synchronous = NORMAL' : 'synchronous = FULL')
    this.db.pragma('busy_timeout = 5000')
    try { migrate(this.db) } catch (err) { this.db.close(); throw err }
    const stmts = {} as Record<keyof typeof SQL, Stmt>
    for (const [k, sql] of Object.entries(SQL)) {
      if (sql.includes('FOR UPDATE')) continue // PostgreSQL only
      stmts[k as keyof typeof SQL] = this.db.prepare(sql)
    }
    this.stmts = stmts
    // One transaction per batch. The revision is read once and written once per batch; a write
    // whose mutation throws (a conflict, a duplicate) has written nothing yet and is skipped alone.
    // An SQL error fails the whole batch (the database is in trouble, not that one write).
    // A batch stops taking writes after budgetMs, at the end of a unit: the rest wait for the
    // next one, and the loop serves others in between.
    this.batchTx = this.db.transaction((pending: PendingWrite[], results: (WatchEvent | { error: unknown })[], budgetMs: number) => {
      const t0 = performance.now()
      let revision = Number((this.stmts.revision.get() as { value: number }).value)
      this.attempted = 0
      for (const op of pending) {
        if (results.length && op.unit !== pending[results.length - 1].unit && performance.now() - t0 >= budgetMs) break
        this.attempted++
        const row = this.stmts.get.get(op.kind, op.namespace, op.name) as { value: string } | undefined
        let ev: WatchEvent
        try {
          ev = op.mutate(row ? JSON.parse(row.value) : undefined, revision + 1)
        } catch (error) {
          results.push({ error })
          continue
        }
        revision++
        const value = JSON.stringify(ev.object)
        if (ev.type === 'DELETED') this.stmts.remove.run(op.kind, op.namespace, op.name)
        else this.stmts.upsert.run(op.kind, op.namespace, op.name, revision, value)
        this.stmts.append.run(revision, op.kind, op.namespace, op.name, ev.type, value)
        results.push({ type: ev.type, revision, object: JSON.parse(value) })
      }
      this.stmts.setRevision.run(revision)
    }).immediate as unknown as (pending: PendingWrite[], results: (WatchEvent | { error: unknown })[], budgetMs: number) => void
  }

  async get(kind: string, namespace: string, name: string): Promise<Resource | undefined> {
    const row = this.stmts.get.get(kind, namespace, name) as { value: string } | undefined
    return row ? JSON.parse(row.value) : undefined
  }

  async list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }> {
    const { items, revision } = await this.listJson(kind, namespace)
    return { items: items.map((v) => JSON.parse(v)), revision }
  }

  async listJson(kind: string, namespace: string | undefined): Promise<{ items: string[]; revision: number }> {
    const read = this.db.transaction(() => {
      const rows = (namespace === undefined ? this.stmts.listAll.all(kind) : this.stmts.listNs.all(kind, namespace)) as { value: string }[]
      return { items: rows.map((r) => r.value), revision: Number((this.stmts.revision.get() as { value: number }).value) }
    })
    return read()
  }

  /** Queues a write for the next group commit; resolves once it is durable. */
  commit(kind: string, namespace: string, name: string, mutate: Mutation): Promise<WatchEvent> {
    // A unit ends at the next microtask: a writer that awaits anything starts another.
    if (!this.unitOpen) {
      this.unitOpen = true
      this.unit++
      queueMicrotask(() => { this.unitOpen = false })
    }
    const unit = this.unit
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, namespace, name, mutate, resolve, reject, unit })
      this.queueFlush()
    })
  }

  private queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => { this.flushQueued = false; this.flush() })
  }

  private flush(): void {
    const results: (WatchEvent | { error: unknown })[] = []
    try {
      this.batchTx(this.pending, results, this.opts.batchBudgetMs ?? BATCH_BUDGET_MS)
    } catch (err) {
      // Rolled back: nothing of this batch was written; the writes it had taken fail with it.
      const failed = this.pending.splice(0, Math.max(1, this.attempted))
      for (const op of failed) op.reject(err)
      if (this.pending.length) this.queueFlush()
      return
    }
    const batch = this.pending.splice(0, results.length)
    if (this.pending.length) this.queueFlush()
    const synced = this.syncWal()
    this.acks = this.acks.then(() => synced).then(
      () => batch.forEach((op, i) => {
        const r = results[i]
        if ('error' in r) op.reject(r.error)
        else op.resolve(r)
      }),
      (err) => { for (const op of batch) op.reject(new Error(`the write was committed but the disk sync failed: ${(err as Error).message}`)) },
    )
  }

  /** fsync of the WAL on the thread pool: everything committed before this call is on disk after it. */
  private syncWal(): Promise<void> {
    if (!this.walPath) return Promise.resolve()
    this.walFd ??= openSync(this.walPath, 'r')
    const fd = this.walFd
    return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())))
  }

  async history(after: number, kind: string | undefined): Promise<WatchEvent[]> {
    const rows = (kind ? this.stmts.historyKind.all(kind, after) : this.stmts.historyAll.all(after)) as { revision: number; type: WatchEventType; value: string }[]
    return rows.map((r) => ({ type: r.type, revision: Number(r.revision), object: JSON.parse(r.value) }))
  }

  async revision(): Promise<number> {
    return Number((this.stmts.revision.get() as { value: number }).value)
  }

  async compactedRevision(): Promise<number> {
    return Number((this.stmts.compacted.get() as { value: number }).value)
  }

  async compact(revision: number): Promise<void> {
    this.db.transaction(() => {
      const current = Number((this.stmts.revision.get() as { value: number }).value)
      const compacted = Number((this.stmts.compacted.get() as { value: number }).value)
      const upTo = Math.min(revision, current)
      if (upTo <= compacted) return
      this.stmts.compact.run(upTo)
      this.stmts.setCompacted.run(upTo)
    })()
  }

  async close(): Promise<void> {
    await this.acks.catch(() => undefined)
    if (this.walFd !== undefined) { closeSync(this.walFd); this.walFd = undefined }
    if (this.db.open) this.db.close()
  }
}

/** Brings the file to SCHEMA_VERSION in one transaction (see MIGRATIONS), or refuses a newer one. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ep_meta'").get()
    const row = hasMeta ? db.prepare(SCHEMA_SQL.version).get() as { value: number } | undefined : undefined
    const found = Number(row?.value ?? 0)
    if (found > SCHEMA_VERSION) throw newerSchemaError(found)
    for (let v = found; v < SCHEMA_VERSION; v++) for (const sql of MIGRATIONS[v]) db.exec(sql)
    if (found < SCHEMA_VERSION) db.prepare(SCHEMA_SQL.setVersion).run(SCHEMA_VERSION)
  }).immediate()
}
