// What only a shared database has to show: several stores (servers) on one PostgreSQL see one
// gap-free log; a watcher misses nothing across a kill -9 of the database; writes while it is
// away fail with Unavailable (503); a fenced write is refused once its lease is gone; a database
// of a newer schema is refused.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import pg from 'pg'
import { ApiError } from '../../src/api/errors.js'
import { openStore } from '../../src/store/open.js'
import type { LogStore } from '../../src/store/log-store.js'
import { app, assertStrictlyIncreasingByOne, expectApiError, Recorder, rv, site } from './helpers.js'
import { pgSkip, startPostgres, type PgServer } from './postgres-server.js'

let server: PgServer
let n = 0
const open: LogStore[] = []

async function twoStores(): Promise<{ url: string; a: LogStore; b: LogStore }> {
  const url = await server.createDatabase(`replicas_${++n}`)
  const a = openStore({ driver: 'postgres', url })
  const b = openStore({ driver: 'postgres', url })
  open.push(a, b)
  await Promise.all([a.whenReady(), b.whenReady()])
  return { url, a, b }
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try { return await c.query(text, params) } finally { await c.end() }
}

describe('postgres: several servers on one database', { skip: pgSkip }, () => {
  before(async () => { server = await startPostgres({ fsync: false }) })
  after(async () => {
    for (const s of open) await s.close().catch(() => undefined)
    await server?.stop()
  })

  test('writes from two stores interleave into one gap-free log that both stores\' watchers see in order', async () => {
    const { a, b } = await twoStores()
    const recA = new Recorder()
    const recB = new Recorder()
    const wa = await a.watch({ fromRevision: 0 }, recA.onEvent)
    const wb = await b.watch({ kind: 'App', fromRevision: 0 }, recB.onEvent)
    const written = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => a.create(app(`a-${i}`))),
      ...Array.from({ length: 40 }, (_, i) => b.create(app(`b-${i}`))),
    ])
    assertStrictlyIncreasingByOne(written.map(rv).sort((x, y) => x - y), 1, 'revisions across both stores')
    await recA.until(80)
    await recB.until(80)
    assertStrictlyIncreasingByOne(recA.revisions(), 1, 'store A watch')
    assertStrictlyIncreasingByOne(recB.revisions(), 1, 'store B watch')
    const byRev = new Map(recB.events.map((e) => [e.revision, e.object]))
    for (const o of written) assert.deepEqual(byRev.get(rv(o)), o, 'each watcher gets the object exactly as acknowledged')
    wa.close(); wb.close()
  })

  test('a CAS race between two stores: exactly one wins', async () => {
    const { a, b } = await twoStores()
    const base = await a.create(app('hot'))
    const r = await Promise.allSettled([a.update({ ...base, spec: { ...base.spec!, replicas: 5 } }), b.update({ ...base, spec: { ...base.spec!, replicas: 6 } })])
    assert.equal(r.filter((x) => x.status === 'fulfilled').length, 1)
    const lost = r.find((x): x is PromiseRejectedResult => x.status === 'rejected')!
    assert.ok(lost.reason instanceof ApiError && lost.reason.code === 'Conflict')
  })

  test('kill -9 of PostgreSQL: writes fail with Unavailable (503); after the restart nothing is lost and watchers catch up', async () => {
    const { a, b } = await twoStores()
    const rec = new Recorder()
    const w = await a.watch({ kind: 'App', fromRevision: 0 }, rec.onEvent)
    const first = await b.create(app('before'))
    await rec.until(1)
    await server.kill()
    const err = await expectApiError(b.create(app('while-down')), 'Unavailable')
    assert.equal(err.status, 503)
    assert.match(err.message, /database \(PostgreSQL\) is unreachable/)
    await server.restart()
    // The pool opens new connections; the first write after the restart may still meet a dead one.
    let after: Awaited<ReturnType<typeof b.create>> | undefined
    for (let i = 0; i < 20 && !after; i++) after = await b.create(app('after')).catch((e: unknown) => { if (!(e instanceof ApiError && e.code === 'Unavailable')) throw e; return undefined })
    assert.ok(after, 'writes work again after the restart')
    await rec.until(2, 15_000) // delivered by A's follower once its LISTEN connection is back (or its catch-up read)
    assert.deepEqual(rec.summary(), [`ADDED App/default/before@${rv(first)}`, `ADDED App/default/after@${rv(after)}`])
    assert.equal(rv(after), rv(first) + 1, 'the refused write took no revision')
    assert.equal((await a.list('App')).items.length, 2)
    w.close()
  })

  test('a fenced write is made while its lease holds and refused (Unavailable) once another holder took it', async () => {
    const { url, a } = await twoStores()
    const now = Number((await sql(url, 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t')).rows[0].t)
    await sql(url, 'INSERT INTO ep_leases (name, holder, epoch, expires_at) VALUES ($1, $2, $3, $4)', ['controllers', 'replica-1', 1, now + 60_000])
    let fence = { name: 'controllers', holder: 'replica-1', epoch: 1 }
    const leader = a.withFence(() => fence)
    await leader.create(site('fra-1'))
    await sql(url, "UPDATE ep_leases SET holder = 'replica-2', epoch = 2 WHERE name = 'controllers'")
    const err = await expectApiError(leader.create(site('fra-2')), 'Unavailable')
    assert.match(err.message, /no longer holds the "controllers" lease/)
    assert.ok(await a.create(site('fra-3')), 'unfenced writes of the same store go on')
    fence = { name: 'controllers', holder: 'replica-2', epoch: 2 }
    assert.ok(await leader.create(site('fra-4')), 'the current holder writes')
    assert.equal(await a.get('Site', undefined, 'fra-2'), undefined)
    assert.equal(await a.revision(), 3)
  })

  test('a database written by a newer edgeplane (schema version above ours) is refused; ours is recorded', async () => {
    const { url, a } = await twoStores()
    assert.equal(Number((await sql(url, "SELECT value FROM ep_meta WHERE key = 'schema'")).rows[0].value), 2)
    await sql(url, "UPDATE ep_meta SET value = 99 WHERE key = 'schema'")
    const c = openStore({ driver: 'postgres', url })
    open.push(c)
    await assert.rejects(c.whenReady(), /schema version 99, newer than this edgeplane knows \(2\)/)
    assert.ok(await a.get('App', 'default', 'x') === undefined)
  })
})
