// Schema versions of the SQLite driver: a new file records ours, a file from before versions were
// recorded is upgraded in place (its data kept), and a file of a newer version is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openStore } from '../../src/store/open.js'
import { SCHEMA_VERSION } from '../../src/store/sql/schema.js'
import { app } from './helpers.js'

function withDir(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-schema-'))
  return fn(join(dir, 'edgeplane.db')).finally(() => rmSync(dir, { recursive: true, force: true }))
}

const schemaOf = (path: string): number | undefined => {
  const db = new Database(path, { readonly: true })
  try { return (db.prepare("SELECT value FROM ep_meta WHERE key = 'schema'").get() as { value: number } | undefined)?.value } finally { db.close() }
}

test('sqlite: a new file records the schema version; a pre-version file is upgraded with its data', () => withDir(async (path) => {
  const s = openStore({ driver: 'sqlite', path })
  await s.create(app('kept'))
  await s.close()
  assert.equal(schemaOf(path), SCHEMA_VERSION)
  // What an edgeplane from before schema versions left: no 'schema' row, no ep_leases.
  const raw = new Database(path)
  raw.exec("DELETE FROM ep_meta WHERE key = 'schema'; DROP TABLE ep_leases")
  raw.close()
  const again = openStore({ driver: 'sqlite', path })
  assert.ok(await again.get('App', 'default', 'kept'))
  await again.close()
  assert.equal(schemaOf(path), SCHEMA_VERSION)
  const check = new Database(path, { readonly: true })
  assert.ok(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ep_leases'").get(), 'the upgrade created ep_leases')
  check.close()
}))

test('sqlite: a file of a newer schema version is refused, untouched', () => withDir(async (path) => {
  await openStore({ driver: 'sqlite', path }).close()
  const raw = new Database(path)
  raw.exec("UPDATE ep_meta SET value = 99 WHERE key = 'schema'")
  raw.close()
  assert.throws(() => openStore({ driver: 'sqlite', path }), /schema version 99, newer than this edgeplane knows/)
  assert.equal(schemaOf(path), 99)
}))
