// The store contract against the SQLite driver (a fresh database file per test, removed after it),
// plus what only a durable driver has to show: data survives a restart, and a failed write leaves
// nothing behind.
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openStore } from '../../src/store/open.js'
import { SqliteBackend } from '../../src/store/sqlite/sqlite-backend.js'
import type { Resource } from '../../src/api/meta.js'
import type { Store, WatchEvent } from '../../src/store/types.js'
import { runStoreContract } from './contract.js'
import { app, expectApiError, Recorder, site, type App } from './helpers.js'

const dirs: string[] = []

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-store-test-'))
  dirs.push(dir)
  return join(dir, 'edgeplane.db')
}

function appAt(name: string, revision: number): Resource {
  return { apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name, namespace: 'default', resourceVersion: String(revision) } }
}

function removeDirOf(path: string): void {
  rmSync(join(path, '..'), { recursive: true, force: true })
}

/** A store on a fresh file whose close() also deletes the file (and its -wal/-shm siblings). */
function freshSqliteStore(): Store {
  const path = tempPath()
  const store = openStore({ driver: 'sqlite', path })
  const close = store.close.bind(store)
  store.close = async () => {
    try { await close() } finally { removeDirOf(path) }
  }
  return store
}

runStoreContract('sqlite', freshSqliteStore)

/** Runs `fn` on a store over a fresh file, then closes the store and deletes the file. */
async function withFreshStore(fn: (store: Store, path: string) => Promise<void>): Promise<void> {
  const path = tempPath()
  const store = openStore({ driver: 'sqlite', path })
  try {
    await fn(store, path)
  } finally {
    await store.close()
    removeDirOf(path)
  }
}

/** A log row at `revision` written through another connection: the commit that reaches it fails. */
function plantLogRow(path: string, revision: number): void {
  const raw = new Database(path)
  try { raw.prepare("INSERT INTO ep_log (revision, kind, namespace, name, type, value) VALUES (?, 'X', '', 'x', 'ADDED', '{}')").run(revision) } finally { raw.close() }
}

function removeLogRow(path: string, revision: number): void {
  const raw = new Database(path)
  try { raw.prepare('DELETE FROM ep_log WHERE revision = ?').run(revision) } finally { raw.close() }
}

/** Row counts and meta values read through a second, independent connection. */
function rawState(path: string): { objects: number; log: number; revision: number; compacted: number } {
  const db = new Database(path, { readonly: true })
  try {
    const count = (t: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n)
    const meta = (k: string) => Number((db.prepare('SELECT value FROM ep_meta WHERE key = ?').get(k) as { value: number }).value)
    return { objects: count('ep_objects'), log: count('ep_log'), revision: meta('revision'), compacted: meta('compacted') }
  } finally {
    db.close()
  }
}

describe('SQLite driver specifics', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
    assert.ok(dirs.every((d) => !existsSync(d)), 'every temp database is removed')
  })

  test('objects, revision and compaction point survive closing and reopening the file', async () => {
    const path = tempPath()
    try {
      let store = openStore({ driver: 'sqlite', path })
      const a = await store.create(app('web', 'prod', { labels: { tier: 'edge' }, status: { replicas: 1, readyReplicas: 1 } })) // 1
      await store.create(app('api', 'prod'))                                       // 2
      await store.create(site('fra-1'))                                            // 3
      const a2 = await store.update({ ...a, spec: { ...a.spec!, replicas: 3 } })   // 4
      await store.delete('App', 'prod', 'api')                                     // 5
      await store.create(app('worker', 'prod'))                                    // 6
      await store.compact(3)
      const listBefore = await store.list('App')
      await store.close()

      store = openStore({ driver: 'sqlite', path })
      assert.equal(await store.revision(), 6)
      assert.equal(await store.compactedRevision(), 3)
      assert.deepEqual(await store.get('App', 'prod', 'web'), a2)
      assert.equal(a2.metadata.generation, 2)
      assert.equal(await store.get('App', 'prod', 'api'), undefined)
      assert.ok(await store.get('Site', undefined, 'fra-1'))
      assert.deepEqual(await store.list('App'), listBefore)
      // The log after the compaction point is still there, and older history is still refused.
      await expectApiError(store.watch({ kind: 'App', fromRevision: 2 }, () => {}), 'Compacted')
      const rec = new Recorder()
      const w = await store.watch({ kind: 'App', fromRevision: 3 }, rec.onEvent)
      await rec.until(3)
      assert.deepEqual(rec.summary(), ['MODIFIED App/prod/web@4', 'DELETED App/prod/api@5', 'ADDED App/prod/worker@6'])
      w.close()
      // Revisions carry on where they stopped; compare-and-swap still uses the persisted versions.
      await expectApiError(store.update({ ...a, spec: { ...a.spec!, replicas: 9 } }), 'Conflict')
      const a3 = await store.update({ ...a2, spec: { ...a2.spec!, replicas: 4 } })
      assert.equal(a3.metadata.resourceVersion, '7')
      assert.equal(a3.metadata.generation, 3)
      assert.deepEqual(a3.status, { replicas: 1, readyReplicas: 1 })
      await store.close()

      store = openStore({ driver: 'sqlite', path })
      assert.equal(await store.revision(), 7)
      assert.equal((await store.get<App>('App', 'prod', 'web'))!.spec!.replicas, 4)
      await store.close()
    } finally {
      removeDirOf(path)
    }
  })

  test('a failed mutation (Conflict, AlreadyExists, NotFound) leaves no partial write', () => withFreshStore(async (store, path) => {
    const a = await store.create(app('web'))
    await store.update({ ...a, spec: { ...a.spec!, replicas: 2 } })
    const before = rawState(path)
    assert.deepEqual(before, { objects: 1, log: 2, revision: 2, compacted: 0 })
    const stored = await store.get('App', 'default', 'web')
    await expectApiError(store.update({ ...a, spec: { ...a.spec!, replicas: 99 } }), 'Conflict')
    await expectApiError(store.update({ ...a, status: { replicas: 9, readyReplicas: 9 } }, { subresource: 'status' }), 'Conflict')
    await expectApiError(store.delete('App', 'default', 'web', { resourceVersion: '1' }), 'Conflict')
    await expectApiError(store.create(app('web')), 'AlreadyExists')
    await expectApiError(store.update(app('ghost')), 'NotFound')
    await expectApiError(store.delete('App', 'default', 'ghost'), 'NotFound')
    assert.deepEqual(rawState(path), before)
    assert.deepEqual(await store.get('App', 'default', 'web'), stored)
  }))

  test('a write that fails inside the transaction after touching a table is rolled back entirely', () => withFreshStore(async (store, path) => {
    await store.create(app('web'))
    // Plant a log row at the next revision through another connection: the next commit writes
    // ep_objects first, then hits the log's primary key, and must undo the object write.
    plantLogRow(path, 2)
    const before = rawState(path)
    await assert.rejects(store.create(app('api')), /UNIQUE|constraint/i)
    await assert.rejects(store.update(app('web', 'default', { spec: { replicas: 5 } })), /UNIQUE|constraint/i)
    assert.deepEqual(rawState(path), before)
    assert.equal(await store.get('App', 'default', 'api'), undefined)
    assert.equal((await store.get<App>('App', 'default', 'web'))!.spec!.replicas, 1)
    assert.equal(await store.revision(), 1)
    removeLogRow(path, 2)
    const api = await store.create(app('api'))
    assert.equal(api.metadata.resourceVersion, '2')
  }))

  test('an SQL error fails the writes its batch had taken, rolls them all back, and the rest go on', () => withFreshStore(async (store, path) => {
    await store.create(app('web'))
    // Of three writes in one batch, the second reaches revision 3.
    plantLogRow(path, 3)
    const [a, b, c] = await Promise.allSettled([store.create(app('a')), store.create(app('b')), store.create(app('c'))])
    assert.equal(a.status, 'rejected', 'taken by the failed batch')
    assert.equal(b.status, 'rejected')
    assert.match(String((b as PromiseRejectedResult).reason), /UNIQUE|constraint/i)
    assert.equal(c.status, 'fulfilled', 'not taken by the failed batch: committed in the next')
    assert.equal((c as PromiseFulfilledResult<App>).value.metadata.resourceVersion, '2')
    assert.equal(await store.get('App', 'default', 'a'), undefined)
    assert.equal(await store.get('App', 'default', 'b'), undefined)
    assert.equal(await store.revision(), 2)
  }))

  test('a burst of separate writers longer than one batch is committed in several, in order, with the loop served in between', async () => {
    const path = tempPath()
    const backend = new SqliteBackend(path, { batchBudgetMs: 0 }) // one writer's writes per batch
    try {
      let synced = 0
      const real = backend['syncWal'].bind(backend)
      backend['syncWal'] = () => { synced++; return real() }
      const acked: number[] = []
      const writes: Promise<WatchEvent>[] = []
      // Twenty writers, each in its own microtask (as separate requests and controllers would be).
      for (let i = 0; i < 20; i++) {
        writes.push(backend.commit('App', 'default', `a${i}`, (_prev, revision) => {
          // The second write fails alone: it takes no revision and the others go on.
          if (i === 1) throw new Error('refused')
          return { type: 'ADDED', revision, object: appAt(`a${i}`, revision) }
        }).then((ev) => { acked.push(ev.revision); return ev }))
        await null
      }
      let committedWhenServed: Promise<number> | undefined
      setImmediate(() => { committedWhenServed = backend.revision() })
      const results = await Promise.allSettled(writes)
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1)
      assert.deepEqual(acked, Array.from({ length: 19 }, (_, k) => k + 1), 'consecutive revisions, acknowledged in order')
      const committed = await committedWhenServed
      assert.ok(committed !== undefined && committed < 19, `another callback ran before the burst was committed (at revision ${committed})`)
      assert.ok(synced >= 10, `each batch synced before it is acknowledged (${synced} syncs)`)
      assert.equal(await backend.revision(), 19)
    } finally {
      await backend.close()
      removeDirOf(path)
    }
  })

  test('writes queued in one synchronous run are committed together whatever the budget; a later writer waits for the next batch', async () => {
    const path = tempPath()
    const backend = new SqliteBackend(path, { batchBudgetMs: 0 })
    try {
      // The store's revision at each sync: what the transactions before it had committed.
      const synced: number[] = []
      const real = backend['syncWal'].bind(backend)
      backend['syncWal'] = () => { synced.push(Number((backend['stmts'].revision.get() as { value: number }).value)); return real() }
      // A reconcile's creates for 50 sites, then (in a later microtask) another writer's one write.
      const burst = Array.from({ length: 50 }, (_, i) => backend.commit('App', 'default', `a${i}`, (_prev, revision) => ({ type: 'ADDED', revision, object: appAt(`a${i}`, revision) })))
      await null
      const later = backend.commit('App', 'default', 'b', (_prev, revision) => ({ type: 'ADDED', revision, object: appAt('b', revision) }))
      assert.deepEqual((await Promise.all(burst)).map((ev) => ev.revision), Array.from({ length: 50 }, (_, k) => k + 1))
      assert.equal((await later).revision, 51)
      assert.deepEqual(synced, [50, 51], 'the 50 in one transaction and one sync, the later write in the next')
    } finally {
      await backend.close()
      removeDirOf(path)
    }
  })

  test('runs durably: WAL journal, synced by the driver after every group commit', async () => {
    const path = tempPath()
    const backend = new SqliteBackend(path)
    try {
      const db = backend['db']
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
      // SQLite does not sync on commit (NORMAL); the driver fsyncs the WAL itself before it acknowledges.
      assert.equal(db.pragma('synchronous', { simple: true }), 1, 'synchronous=NORMAL')
      let synced = 0
      const real = backend['syncWal'].bind(backend)
      backend['syncWal'] = () => { synced++; return real() }
      await Promise.all([1, 2, 3].map((i) => backend.commit('App', 'default', `a${i}`, (_prev, revision) => ({ type: 'ADDED', revision, object: appAt(`a${i}`, revision) }))))
      assert.equal(synced, 1, 'three writes of one turn: one transaction, one fsync, acknowledged after it')
      assert.ok(backend['walFd'] !== undefined, 'the WAL file is open for syncing')
    } finally {
      await backend.close()
      removeDirOf(path)
    }
  })
})
