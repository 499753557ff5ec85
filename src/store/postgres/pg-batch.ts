// One group commit on PostgreSQL: every write queued since the last commit, in one transaction.
//
// Revisions come from a single-row counter (ep_meta 'revision') locked FOR UPDATE first thing in
// the transaction. That lock serialises the writers of every server on the database, so revisions
// are handed out in commit order and a rolled-back transaction hands back its numbers: a watcher
// can never see revision n+1 committed while n is still to come, and there are no gaps. A
// sequence would not do (nextval is not transactional: a later-committed lower id, and holes on
// rollback); kine's way (a sequence, then readers wait out or fill holes with "gap" rows) keeps
// writers parallel but puts that repair on every reader. The price of the counter is one writer
// at a time across the cluster, which group commit pays back: a transaction carries every write
// queued meanwhile, in a fixed number of round trips (unnest arrays), whatever its size.
import type pg from 'pg'
import { ApiError } from '../../api/errors.js'
import type { Resource } from '../../api/meta.js'
import type { Fence, Mutation } from '../backend.js'
import type { WatchEvent } from '../types.js'
import { CHANNEL } from './pg-follower.js'

export interface PendingWrite {
  kind: string
  namespace: string
  name: string
  mutate: Mutation
  fence?: Fence
  resolve: (ev: WatchEvent) => void
  reject: (err: unknown) => void
}

export type Outcome = WatchEvent | { error: unknown }

const key = (kind: string, ns: string, name: string): string => `${kind}\u0000${ns}\u0000${name}`

/**
 * Runs the batch on `client` (a connection of its own). Returns one outcome per write, in order; a
 * write whose mutation throws (conflict, duplicate) or whose fence no longer holds is refused
 * alone. Throws (after ROLLBACK) when the database fails: then none of the batch was written.
 */
export async function commitBatch(client: pg.PoolClient, batch: PendingWrite[]): Promise<Outcome[]> {
  await client.query('BEGIN')
  try {
    const outcomes = await writeBatch(client, batch)
    if (outcomes.some((o) => !('error' in o))) await client.query('COMMIT')
    else await client.query('ROLLBACK')
    return outcomes
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  }
}

async function writeBatch(client: pg.PoolClient, batch: PendingWrite[]): Promise<Outcome[]> {
  const r = await client.query("SELECT value FROM ep_meta WHERE key = 'revision' FOR UPDATE")
  let revision = Number(r.rows[0].value)
  const fencesOk = await checkFences(client, batch)

  // The stored objects this batch touches, read once; later writes in the batch see earlier ones.
  const current = new Map<string, Resource | undefined>()
  const wanted = [...new Map(batch.map((op) => [key(op.kind, op.namespace, op.name), op])).values()]
  const rows = await client.query<{ kind: string; namespace: string; name: string; value: string }>(
    `SELECT o.kind, o.namespace, o.name, o.value FROM ep_objects o
       JOIN unnest($1::text[], $2::text[], $3::text[]) AS w(kind, namespace, name)
         ON o.kind = w.kind AND o.namespace = w.namespace AND o.name = w.name`,
    [wanted.map((o) => o.kind), wanted.map((o) => o.namespace), wanted.map((o) => o.name)])
  for (const row of rows.rows) current.set(key(row.kind, row.namespace, row.name), JSON.parse(row.value))

  const outcomes: Outcome[] = []
  const log = { revision: [] as number[], kind: [] as string[], namespace: [] as string[], name: [] as string[], type: [] as string[], value: [] as string[] }
  const final = new Map<string, { op: PendingWrite; revision: number; value: string | undefined }>()
  for (const op of batch) {
    if (op.fence && !fencesOk.get(fenceKey(op.fence))) {
      outcomes.push({ error: new ApiError('Unavailable', `this server no longer holds the "${op.fence.name}" lease (epoch ${op.fence.epoch}); the write was refused`) })
      continue
    }
    const k = key(op.kind, op.namespace, op.name)
    let ev: WatchEvent
    try {
      const prev = current.get(k)
      ev = op.mutate(prev && structuredClone(prev), revision + 1)
    } catch (error) {
      outcomes.push({ error })
      continue
    }
    revision++
    const value = JSON.stringify(ev.object)
    const object = JSON.parse(value) as Resource
    current.set(k, ev.type === 'DELETED' ? undefined : object)
    final.set(k, { op, revision, value: ev.type === 'DELETED' ? undefined : value })
    log.revision.push(revision); log.kind.push(op.kind); log.namespace.push(op.namespace); log.name.push(op.name)
    log.type.push(ev.type); log.value.push(value)
    outcomes.push({ type: ev.type, revision, object })
  }
  if (!log.revision.length) return outcomes

  await client.query(
    `INSERT INTO ep_log (revision, kind, namespace, name, type, value)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
    [log.revision, log.kind, log.namespace, log.name, log.type, log.value])
  const puts = [...final.values()].filter((f) => f.value !== undefined)
  const dels = [...final.values()].filter((f) => f.value === undefined)
  if (puts.length) {
    await client.query(
      `INSERT INTO ep_objects (kind, namespace, name, revision, value)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
       ON CONFLICT (kind, namespace, name) DO UPDATE SET revision = excluded.revision, value = excluded.value`,
      [puts.map((f) => f.op.kind), puts.map((f) => f.op.namespace), puts.map((f) => f.op.name), puts.map((f) => f.revision), puts.map((f) => f.value)])
  }
  if (dels.length) {
    await client.query(
      `DELETE FROM ep_objects o USING unnest($1::text[], $2::text[], $3::text[]) AS d(kind, namespace, name)
        WHERE o.kind = d.kind AND o.namespace = d.namespace AND o.name = d.name`,
      [dels.map((f) => f.op.kind), dels.map((f) => f.op.namespace), dels.map((f) => f.op.name)])
  }
  await client.query("UPDATE ep_meta SET value = $1 WHERE key = 'revision'", [revision])
  // Delivered at COMMIT, in commit order; the payload is only a hint (followers read ep_log).
  await client.query('SELECT pg_notify($1, $2)', [CHANNEL, String(revision)])
  return outcomes
}

function fenceKey(f: Fence): string { return `${f.name}\u0000${f.holder}\u0000${f.epoch}` }

/**
 * Whether each fence in the batch still holds. FOR SHARE keeps the lease row as it is until this
 * transaction ends: a takeover (an UPDATE of that row) waits for us, and every write after it sees
 * the new epoch. Expiry is judged by the database's clock, the one every server shares.
 */
async function checkFences(client: pg.PoolClient, batch: PendingWrite[]): Promise<Map<string, boolean>> {
  const ok = new Map<string, boolean>()
  for (const op of batch) {
    if (!op.fence || ok.has(fenceKey(op.fence))) continue
    const f = op.fence
    const r = await client.query(
      `SELECT 1 FROM ep_leases WHERE name = $1 AND holder = $2 AND epoch = $3
          AND expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint FOR SHARE`, [f.name, f.holder, f.epoch])
    ok.set(fenceKey(f), r.rowCount === 1)
  }
  return ok
}
