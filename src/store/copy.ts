// Offline copy of a whole store from one SQL database to another (`edgeplane store migrate`), and
// an online backup of a SQLite file. The copy keeps every revision as it is (objects, the log, the
// revision and compaction point): resourceVersions stay valid and the agents' desired-document
// versions (store revisions) keep growing, so nodes accept the new server's documents.
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import pg from 'pg'
import { openStore, parseStoreUrl, redactUrl, type StoreConfig } from './open.js'
import { newerSchemaError, SCHEMA_VERSION } from './sql/schema.js'

interface Rows { objects: unknown[][]; log: unknown[][]; revision: number; compacted: number }

export interface CopySummary { objects: number; log: number; revision: number; compacted: number }

const OBJECTS = 'SELECT kind, namespace, name, revision, value FROM ep_objects ORDER BY kind, namespace, name'
const LOG = 'SELECT revision, kind, namespace, name, type, value FROM ep_log ORDER BY revision'
const META = "SELECT key, value FROM ep_meta WHERE key IN ('revision', 'compacted', 'schema')"

/** Copies everything in `from` into `to`, which must be new or empty. Neither may be in use by a server. */
export async function copyStore(fromUrl: string, toUrl: string): Promise<CopySummary> {
  const from = sqlConfig(fromUrl)
  const to = sqlConfig(toUrl)
  const rows = await readAll(from)
  // Opening the destination through its driver creates (or checks) its schema.
  const dest = openStore(to)
  try {
    await dest.whenReady()
    if (await dest.revision() !== 0) throw new Error(`${redactUrl(toUrl)} is not empty (revision ${await dest.revision()}): migrate only into a new database`)
  } finally {
    await dest.close()
  }
  await writeAll(to, rows)
  return { objects: rows.objects.length, log: rows.log.length, revision: rows.revision, compacted: rows.compacted }
}

function sqlConfig(url: string): Exclude<StoreConfig, { driver: 'memory' }> {
  const cfg = parseStoreUrl(url)
  if (cfg.driver === 'memory') throw new Error('a memory store holds nothing to migrate: give sqlite:///path or postgres://…')
  return cfg
}

function checkMeta(meta: Map<string, number>, where: string): void {
  const schema = meta.get('schema') ?? 0
  if (schema > SCHEMA_VERSION) throw newerSchemaError(schema)
  if (!meta.has('revision')) throw new Error(`${where} holds no edgeplane store`)
}

async function readAll(cfg: Exclude<StoreConfig, { driver: 'memory' }>): Promise<Rows> {
  if (cfg.driver === 'sqlite') {
    if (!existsSync(cfg.path)) throw new Error(`${cfg.path} does not exist`)
    const db = new Database(cfg.path, { readonly: true, fileMustExist: true })
    try {
      return db.transaction(() => {
        const meta = new Map((db.prepare(META).all() as { key: string; value: number }[]).map((r) => [r.key, Number(r.value)]))
        checkMeta(meta, cfg.path)
        return {
          objects: db.prepare(OBJECTS).raw().all() as unknown[][],
          log: db.prepare(LOG).raw().all() as unknown[][],
          revision: meta.get('revision')!, compacted: meta.get('compacted') ?? 0,
        }
      })()
    } finally {
      db.close()
    }
  }
  const c = new pg.Client({ connectionString: cfg.url })
  await c.connect()
  try {
    // One snapshot for everything read.
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const exists = (await c.query("SELECT to_regclass('ep_meta') IS NOT NULL AS ok")).rows[0].ok as boolean
    if (!exists) throw new Error(`${redactUrl(cfg.url)} holds no edgeplane store`)
    const meta = new Map((await c.query(META)).rows.map((r) => [r.key as string, Number(r.value)]))
    checkMeta(meta, redactUrl(cfg.url))
    const objects = (await c.query({ text: OBJECTS, rowMode: 'array' })).rows
    const log = (await c.query({ text: LOG, rowMode: 'array' })).rows
    await c.query('COMMIT')
    return { objects, log, revision: meta.get('revision')!, compacted: meta.get('compacted') ?? 0 }
  } finally {
    await c.end()
  }
}

async function writeAll(cfg: Exclude<StoreConfig, { driver: 'memory' }>, rows: Rows): Promise<void> {
  if (cfg.driver === 'sqlite') {
    const db = new Database(cfg.path)
    try {
      db.transaction(() => {
        const obj = db.prepare('INSERT INTO ep_objects (kind, namespace, name, revision, value) VALUES (?, ?, ?, ?, ?)')
        for (const r of rows.objects) obj.run(...r)
        const log = db.prepare('INSERT INTO ep_log (revision, kind, namespace, name, type, value) VALUES (?, ?, ?, ?, ?, ?)')
        for (const r of rows.log) log.run(...r)
        db.prepare("UPDATE ep_meta SET value = ? WHERE key = 'revision'").run(rows.revision)
        db.prepare("UPDATE ep_meta SET value = ? WHERE key = 'compacted'").run(rows.compacted)
      }).immediate()
    } finally {
      db.close()
    }
    return
  }
  const c = new pg.Client({ connectionString: cfg.url })
  await c.connect()
  try {
    await c.query('BEGIN')
    const col = (list: unknown[][], i: number) => list.map((r) => r[i])
    for (let i = 0; i < rows.objects.length; i += 5000) {
      const page = rows.objects.slice(i, i + 5000)
      await c.query('INSERT INTO ep_objects (kind, namespace, name, revision, value) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])',
        [0, 1, 2, 3, 4].map((k) => col(page, k)))
    }
    for (let i = 0; i < rows.log.length; i += 5000) {
      const page = rows.log.slice(i, i + 5000)
      await c.query('INSERT INTO ep_log (revision, kind, namespace, name, type, value) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])',
        [0, 1, 2, 3, 4, 5].map((k) => col(page, k)))
    }
    await c.query("UPDATE ep_meta SET value = $1 WHERE key = 'revision'", [rows.revision])
    await c.query("UPDATE ep_meta SET value = $1 WHERE key = 'compacted'", [rows.compacted])
    await c.query('COMMIT')
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    await c.end()
  }
}

/**
 * A consistent copy of a SQLite store taken with SQLite's online backup API: the server may go on
 * writing meanwhile (the copy is of one moment). Restore = stop the server, put the file in place
 * as DATA_DIR/edgeplane.db (removing any -wal/-shm beside it), start the server.
 */
export async function backupSqlite(path: string, dest: string): Promise<{ pages: number }> {
  if (!existsSync(path)) throw new Error(`${path} does not exist`)
  if (existsSync(dest)) throw new Error(`${dest} exists: give a new file`)
  const db = new Database(path, { fileMustExist: true })
  try {
    const r = await db.backup(dest)
    return { pages: r.totalPages }
  } finally {
    db.close()
  }
}
