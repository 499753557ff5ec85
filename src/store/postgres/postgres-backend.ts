// PostgreSQL driver (pg 8): one database shared by every server replica. Writes go through group
// commit (pg-batch.ts: one transaction for all writes queued while the previous one ran, one at a
// time per process); acknowledged once COMMIT returns (synchronous_commit, the server's default:
// the WAL is flushed). Events, this process's and other servers', reach watchers through the log
// follower (pg-follower.ts), in revision order. A lost database makes every call fail with
// Unavailable (503) until it is back; the pool reconnects by itself.
import pg from 'pg'
import type { Resource } from '../../api/meta.js'
import { systemClock, type Clock } from '../../lib/clock.js'
import type { Backend, EventSource, Fence, Mutation } from '../backend.js'
import { MIGRATIONS, newerSchemaError, numberPlaceholders, SCHEMA_SQL, SCHEMA_VERSION } from '../sql/schema.js'
import type { WatchEvent, WatchEventType } from '../types.js'
import { commitBatch, type PendingWrite } from './pg-batch.js'
import { asStoreError } from './pg-errors.js'
import { LogFollower, type FollowerLog } from './pg-follower.js'
import { PgLeases } from './pg-leases.js'

/** Writes one transaction takes at most; the rest go in the next. */
const MAX_BATCH = 5000

export interface PostgresOptions {
  /** Connections for reads and the write transaction (default 10); the LISTEN connection is extra. */
  poolSize?: number
  clock?: Clock
  log?: FollowerLog
  /** Time to open a connection before the call fails with Unavailable (default 5 s). */
  connectTimeoutMs?: number
}

export class PostgresBackend implements Backend {
  readonly driver = 'postgres'
  readonly pool: pg.Pool
  private pending: PendingWrite[] = []
  /** The write loop while it runs (close() waits for it). */
  private writing: Promise<void> | undefined
  private follower: LogFollower | undefined
  private migrated: Promise<void> | undefined
  private closed = false
  readonly leases: PgLeases

  constructor(readonly url: string, private readonly opts: PostgresOptions = {}) {
    this.pool = new pg.Pool(this.clientConfig(opts.poolSize ?? 10))
    // An idle connection that breaks (database restarted) is dropped by the pool; the next query
    // opens a new one. Without a listener the error would crash the process.
    this.pool.on('error', () => undefined)
    this.leases = new PgLeases(this.pool, () => this.migrate())
  }

  private clientConfig(max?: number): pg.PoolConfig {
    return { connectionString: this.url, max, connectionTimeoutMillis: this.opts.connectTimeoutMs ?? 5000, application_name: 'edgeplane' }
  }

  /** Creates or upgrades the schema (once per process; concurrent servers take turns on a lock). */
  migrate(): Promise<void> {
    this.migrated ??= this.runMigrations()
    return this.migrated
  }

  private async runMigrations(): Promise<void> {
    const c = await this.pool.connect().catch((err) => { throw asStoreError(err) })
    try {
      await c.query('BEGIN')
      await c.query('SELECT pg_advisory_xact_lock(742023)')
      const exists = (await c.query("SELECT to_regclass('ep_meta') IS NOT NULL AS ok")).rows[0].ok as boolean
      const found = exists ? Number((await c.query(SCHEMA_SQL.version)).rows[0]?.value ?? 0) : 0
      if (found > SCHEMA_VERSION) throw newerSchemaError(found)
      for (let v = found; v < SCHEMA_VERSION; v++) for (const sql of MIGRATIONS[v]) await c.query(sql)
      if (found < SCHEMA_VERSION) await c.query(numberPlaceholders(SCHEMA_SQL.setVersion), [SCHEMA_VERSION])
      await c.query('COMMIT')
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined)
      this.migrated = undefined
      throw asStoreError(err)
    } finally {
      c.release()
    }
  }

  async follow(sink: EventSource): Promise<void> {
    await this.migrate()
    const f = new LogFollower(this.pool, () => new pg.Client(this.clientConfig()), sink, this.opts.clock ?? systemClock, this.opts.log)
    await f.start().catch((err) => { throw asStoreError(err) })
    this.follower = f
  }

  /** Whether the LISTEN connection is up (false while the database is away). */
  get following(): boolean { return this.follower?.listening ?? false }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.migrate()
    try {
      return await this.pool.query<R>(sql, params)
    } catch (err) {
      throw asStoreError(err)
    }
  }

  async get(kind: string, namespace: string, name: string): Promise<Resource | undefined> {
    const r = await this.query<{ value: string }>('SELECT value FROM ep_objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name])
    return r.rows.length ? JSON.parse(r.rows[0].value) : undefined
  }

  async list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }> {
    const { items, revision } = await this.listJson(kind, namespace)
    return { items: items.map((v) => JSON.parse(v)), revision }
  }

  /** One statement, so the objects and the revision come from one snapshot. */
  async listJson(kind: string, namespace: string | undefined): Promise<{ items: string[]; revision: number }> {
    const nsCond = namespace === undefined ? '' : 'AND o.namespace = $2'
    const r = await this.query<{ rev: string; value: string | null }>(
      `SELECT m.value AS rev, o.value FROM ep_meta m
         LEFT JOIN ep_objects o ON o.kind = $1 ${nsCond}
        WHERE m.key = 'revision' ORDER BY o.namespace, o.name`,
      namespace === undefined ? [kind] : [kind, namespace])
    return { items: r.rows.filter((x) => x.value !== null).map((x) => x.value!), revision: Number(r.rows[0].rev) }
  }

  commit(kind: string, namespace: string, name: string, mutate: Mutation, fence?: Fence): Promise<WatchEvent> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, namespace, name, mutate, fence, resolve, reject })
      this.kick()
    })
  }

  private kick(): void {
    if (this.writing) return
    // A write queued after the loop saw an empty queue, before it ended, starts the next loop.
    this.writing = this.writeLoop().finally(() => { this.writing = undefined; if (this.pending.length) this.kick() })
  }

  /** One transaction at a time: writes queued while it runs form the next batch (group commit). */
  private async writeLoop(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_BATCH)
      let client: pg.PoolClient | undefined
      let outcomes
      try {
        await this.migrate()
        client = await this.pool.connect()
        outcomes = await commitBatch(client, batch)
      } catch (err) {
        client?.release(err instanceof Error ? err : undefined)
        const e = asStoreError(err)
        for (const op of batch) op.reject(e)
        continue
      }
      client.release()
      const events = outcomes.filter((o): o is WatchEvent => !('error' in o))
      // Committed and durable; delivered to this process's watchers before the writers hear back.
      // If that fails (the database went away right after COMMIT) the follower delivers them later.
      if (this.follower) await this.follower.local(events).catch(() => undefined)
      batch.forEach((op, i) => {
        const o = outcomes![i]
        if ('error' in o) op.reject(o.error)
        else op.resolve(o)
      })
    }
  }

  async history(after: number, kind: string | undefined): Promise<WatchEvent[]> {
    const r = kind
      ? await this.query<{ revision: string; type: WatchEventType; value: string }>('SELECT revision, type, value FROM ep_log WHERE kind = $1 AND revision > $2 ORDER BY revision', [kind, after])
      : await this.query<{ revision: string; type: WatchEventType; value: string }>('SELECT revision, type, value FROM ep_log WHERE revision > $1 ORDER BY revision', [after])
    return r.rows.map((x) => ({ type: x.type, revision: Number(x.revision), object: JSON.parse(x.value) }))
  }

  async revision(): Promise<number> {
    return Number((await this.query<{ value: string }>("SELECT value FROM ep_meta WHERE key = 'revision'")).rows[0].value)
  }

  async compactedRevision(): Promise<number> {
    return Number((await this.query<{ value: string }>("SELECT value FROM ep_meta WHERE key = 'compacted'")).rows[0].value)
  }

  /** Several servers may compact at once: the compacted row, locked, makes them take turns. */
  async compact(revision: number): Promise<void> {
    await this.migrate()
    const c = await this.pool.connect().catch((err) => { throw asStoreError(err) })
    try {
      await c.query('BEGIN')
      const compacted = Number((await c.query("SELECT value FROM ep_meta WHERE key = 'compacted' FOR UPDATE")).rows[0].value)
      const current = Number((await c.query("SELECT value FROM ep_meta WHERE key = 'revision'")).rows[0].value)
      const upTo = Math.min(revision, current)
      if (upTo > compacted) {
        await c.query('DELETE FROM ep_log WHERE revision <= $1', [upTo])
        await c.query("UPDATE ep_meta SET value = $1 WHERE key = 'compacted'", [upTo])
      }
      await c.query('COMMIT')
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined)
      throw asStoreError(err)
    } finally {
      c.release()
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    while (this.writing) await this.writing
    await this.follower?.stop()
    await this.pool.end()
  }
}
