// Moving and saving stores: `edgeplane store migrate` from SQLite to a real PostgreSQL keeps every
// object, the log and the revision (writes go on from it); it refuses a non-empty destination; a
// SQLite online backup taken while the store is written is a consistent, openable copy; pg_dump +
// pg_restore bring a PostgreSQL store back whole.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { openStore } from '../../src/store/open.js'
import { backupSqlite, copyStore } from '../../src/store/copy.js'
import type { Store } from '../../src/store/types.js'
import { cli } from '../e2e/fleet-helpers.js'
import { app, Recorder, site } from './helpers.js'
import { findPgBin, pgSkip, startPostgres, type PgServer } from './postgres-server.js'

const run = promisify(execFile)
let dir: string
let server: PgServer | undefined

async function fill(store: Store): Promise<void> {
  for (let i = 0; i < 20; i++) await store.create(app(`a${i}`, i % 2 ? 'ns1' : 'ns2'))
  await store.create(site('fra-1'))
  const a0 = (await store.get('App', 'ns2', 'a0'))!
  await store.update({ ...a0, spec: { ...(a0.spec as object), replicas: 3 } })
  await store.delete('App', 'ns1', 'a1')
}

async function snapshot(store: Store): Promise<unknown> {
  return { apps: (await store.list('App')).items, sites: (await store.list('Site')).items, revision: await store.revision() }
}

before(() => { dir = mkdtempSync(join(tmpdir(), 'ep-copy-')) })
after(() => rmSync(dir, { recursive: true, force: true }))

test('sqlite: an online backup taken while the store is written opens with a consistent state', async () => {
  const path = join(dir, 'live.db')
  const store = openStore({ driver: 'sqlite', path })
  await fill(store)
  const writes = Promise.all(Array.from({ length: 30 }, (_, i) => store.create(app(`w${i}`))))
  const backup = join(dir, 'live-backup.db')
  await backupSqlite(path, backup)
  await writes
  await store.close()
  const restored = openStore({ driver: 'sqlite', path: backup })
  const rev = await restored.revision()
  const apps = (await restored.list('App')).items
  // Whatever moment it caught: the objects are exactly those the log up to that revision made.
  assert.ok(rev >= 23 && rev <= 53, `revision ${rev}`)
  assert.equal(apps.length, 19 + (rev - 23))
  assert.ok(apps.every((a) => Number(a.metadata.resourceVersion) <= rev))
  await restored.close()
  await assert.rejects(backupSqlite(path, backup), /exists: give a new file/)
})

describe('with a real PostgreSQL', { skip: pgSkip }, () => {
  before(async () => { server = await startPostgres({ fsync: false }) })
  after(async () => { await server?.stop() })

  test('store migrate: sqlite → postgres keeps objects, log and revision; writes and watches go on from there', async () => {
    const path = join(dir, 'from.db')
    const src = openStore({ driver: 'sqlite', path })
    await fill(src)
    const expected = await snapshot(src)
    await src.close()
    const url = await server!.createDatabase('migrated')
    const out = await cli(['store', 'migrate', '--from', `sqlite://${path}`, '--to', url], {})
    assert.equal(out.code, 0, out.stderr)
    assert.match(out.stdout, /migrated 20 objects and 23 log entries \(revision 23, compacted at 0\)/)
    const dest = openStore({ driver: 'postgres', url })
    try {
      assert.deepEqual(await snapshot(dest), expected)
      const rec = new Recorder()
      const w = await dest.watch({ kind: 'App', fromRevision: 20 }, rec.onEvent)
      const made = await dest.create(app('after'))
      assert.equal(made.metadata.resourceVersion, '24')
      await rec.until(3)
      assert.deepEqual(rec.revisions(), [22, 23, 24], 'the copied log replays (App events after 20), then live events')
      w.close()
    } finally {
      await dest.close()
    }
    await assert.rejects(copyStore(`sqlite://${path}`, url), /is not empty \(revision 24\)/)
  })

  test('pg_dump + pg_restore bring a PostgreSQL store back whole', async () => {
    const url = await server!.createDatabase('dumped')
    const store = openStore({ driver: 'postgres', url })
    await fill(store)
    const expected = await snapshot(store)
    await store.close()
    const bin = findPgBin()!
    const dump = join(dir, 'store.dump')
    await run(join(bin, 'pg_dump'), ['-Fc', '-f', dump, url])
    const target = await server!.createDatabase('restored')
    await run(join(bin, 'pg_restore'), ['--no-owner', '-d', target, dump])
    const back = openStore({ driver: 'postgres', url: target })
    try {
      assert.deepEqual(await snapshot(back), expected)
      assert.equal((await back.create(app('next'))).metadata.resourceVersion, '24')
    } finally {
      await back.close()
    }
  })
})
