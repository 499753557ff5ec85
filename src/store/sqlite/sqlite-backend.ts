// SQLite driver (better-sqlite3) with durable group commit. Writes issued in one turn of the event
// loop share a transaction; the WAL is then fsync'ed on libuv's thread pool (fs.fsync), so the
// event loop keeps serving while the disk syncs, and each write is acknowledged only after the sync
// that covers it. SQLite itself runs with synchronous=NORMAL (it syncs at checkpoints); our fsync
// of the WAL after every commit gives what synchronous=FULL gives: an acknowledged write survives a
// power loss. Readers of this process may see a commit before it is acknowledged (as with any
// group commit); they never see one that is rolled back.
import Database from 'better-sqlite3'
import { closeSync, fsync, openSync } from 'node:fs'
import type { Resource } from '../../api/meta.js'
import type { Backend, Mutation } from '../backend.js'
import type { WatchEvent, WatchEventType } from '../types.js'
import { DDL, SQL } from '../sql/schema.js'

type Stmt = Database.Statement<unknown[], unknown>

interface PendingWrite {
  kind: string
  namespace: string
  name: string
  mutate: Mutation
  resolve: (ev: WatchEvent) => void
  reject: (err: unknown) => void
}

export class SqliteBackend implements Backend {
  readonly driver = 'sqlite'
  private db: Database.Database
  private stmts: Record<keyof typeof SQL, Stmt>
  private commitTx: (kind: string, ns: string, name: string, mutate: Mutation) => WatchEvent
  private batchTx: (batch: PendingWrite[], results: (WatchEvent | { error: unknown })[]) => void
  private pending: PendingWrite[] = []
  /** Acknowledgements go out in commit order (watchers must see revisions in order). */
  private acks: Promise<void> = Promise.resolve()
  private walFd: number | undefined
  private readonly walPath: string | undefined

  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.walPath = path === ':memory:' || path === '' ? undefined : `${path}-wal`
    this.db.pragma(this.walPath ? 'synchronous = NORMAL' : 'synchronous = FULL')
    this.db.pragma('busy_timeout = 5000')
    for (const ddl of DDL) this.db.exec(ddl)
    const stmts = {} as Record<keyof typeof SQL, Stmt>
    for (const [k, sql] of Object.entries(SQL)) {
      if (sql.includes('FOR UPDATE')) continue // PostgreSQL only
      stmts[k as keyof typeof SQL] = this.db.prepare(sql)
    }
    this.stmts = stmts
    this.commitTx = this.db.transaction((kind: string, ns: string, name: string, mutate: Mutation) => {
      const row = this.stmts.get.get(kind, ns, name) as { value: string } | undefined
      const revision = Number((this.stmts.revision.get() as { value: number }).value) + 1
      const ev = mutate(row ? JSON.parse(row.value) : undefined, revision)
      const value = JSON.stringify(ev.object)
      if (ev.type === 'DELETED') this.stmts.remove.run(kind, ns, name)
      else this.stmts.upsert.run(kind, ns, name, revision, value)
      this.stmts.append.run(revision, kind, ns, name, ev.type, value)
      this.stmts.setRevision.run(revision)
      return { type: ev.type, revision, object: JSON.parse(value) }
    }) as unknown as (kind: string, ns: string, name: string, mutate: Mutation) => WatchEvent
    // The outer transaction; each write runs in a nested one (a savepoint).
    this.batchTx = this.db.transaction((batch: PendingWrite[], results: (WatchEvent | { error: unknown })[]) => {
      for (const op of batch) {
        try {
          results.push(this.commitTx(op.kind, op.namespace, op.name, op.mutate))
        } catch (error) {
          results.push({ error })
        }
      }
    }).immediate as unknown as (batch: PendingWrite[], results: (WatchEvent | { error: unknown })[]) => void
  }

  async get(kind: string, namespace: string, name: string): Promise<Resource | undefined> {
    const row = this.stmts.get.get(kind, namespace, name) as { value: string } | undefined
    return row ? JSON.parse(row.value) : undefined
  }

  async list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }> {
    const read = this.db.transaction(() => {
      const rows = (namespace === undefined ? this.stmts.listAll.all(kind) : this.stmts.listNs.all(kind, namespace)) as { value: string }[]
      return { items: rows.map((r) => JSON.parse(r.value)), revision: Number((this.stmts.revision.get() as { value: number }).value) }
    })
    return read()
  }

  /** Queues a write for the next group commit; resolves once it is durable. */
  commit(kind: string, namespace: string, name: string, mutate: Mutation): Promise<WatchEvent> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, namespace, name, mutate, resolve, reject })
      if (this.pending.length === 1) setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    const batch = this.pending
    this.pending = []
    const results: (WatchEvent | { error: unknown })[] = []
    try {
      this.batchTx(batch, results)
    } catch (err) {
      for (const op of batch) op.reject(err)
      return
    }
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
