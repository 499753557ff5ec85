// LeaseTable on PostgreSQL (ep_leases): single statements, so two servers taking a lease at once
// cannot both win (the row's primary key and ON CONFLICT … WHERE decide).
import type pg from 'pg'
import type { HeldLease, LeaseTable, LiveLease } from '../leases.js'
import { asStoreError } from './pg-errors.js'

const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint'

export class PgLeases implements LeaseTable {
  constructor(private readonly pool: pg.Pool, private readonly ready: () => Promise<void>) {}

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    await this.ready()
    try { return await this.pool.query<R>(sql, params) } catch (err) { throw asStoreError(err) }
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<HeldLease | undefined> {
    const r = await this.q<{ epoch: string }>(
      `INSERT INTO ep_leases AS l (name, holder, epoch, expires_at) VALUES ($1, $2, 1, ${NOW_MS} + $3)
       ON CONFLICT (name) DO UPDATE SET
         epoch = CASE WHEN l.holder = excluded.holder AND l.expires_at > ${NOW_MS} THEN l.epoch ELSE l.epoch + 1 END,
         holder = excluded.holder, expires_at = excluded.expires_at
       WHERE l.holder = excluded.holder OR l.expires_at <= ${NOW_MS}
       RETURNING epoch`, [name, holder, ttlMs])
    return r.rows.length ? { epoch: Number(r.rows[0].epoch) } : undefined
  }

  async release(name: string, holder: string): Promise<void> {
    await this.q(`UPDATE ep_leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, [name, holder])
  }

  async put(name: string, holder: string, ttlMs: number, value: string): Promise<void> {
    await this.q(
      `INSERT INTO ep_leases (name, holder, epoch, expires_at, value) VALUES ($1, $2, 0, ${NOW_MS} + $3, $4)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, value = excluded.value`,
      [name, holder, ttlMs, value])
  }

  async live(prefix: string): Promise<LiveLease[]> {
    const r = await this.q<LiveLease>(
      `SELECT name, holder, value FROM ep_leases WHERE starts_with(name, $1) AND expires_at > ${NOW_MS} ORDER BY name`, [prefix])
    return r.rows
  }
}
