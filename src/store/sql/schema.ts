// The SQL every relational driver shares. Placeholders are written `?`; a driver whose database
// numbers them ($1, $2, … in PostgreSQL) rewrites them with numberPlaceholders().

/**
 * Schema versions, one list for every SQL driver: MIGRATIONS[v] brings a database from version v to
 * v + 1 (version 0 is a new database, or one written before versions were recorded: its tables
 * match step 0, which only creates what is missing). ep_meta 'schema' holds the version; a driver
 * refuses a database of a newer version than it knows (written by a newer edgeplane).
 */
export const SCHEMA_VERSION = 2

export const DDL = [
  `CREATE TABLE IF NOT EXISTS ep_objects (
     kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
     revision BIGINT NOT NULL, value TEXT NOT NULL,
     PRIMARY KEY (kind, namespace, name))`,
  `CREATE TABLE IF NOT EXISTS ep_log (
     revision BIGINT PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
     type TEXT NOT NULL, value TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS ep_log_kind ON ep_log (kind, revision)`,
  `CREATE TABLE IF NOT EXISTS ep_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
  `INSERT INTO ep_meta (key, value) VALUES ('revision', 0) ON CONFLICT (key) DO NOTHING`,
  `INSERT INTO ep_meta (key, value) VALUES ('compacted', 0) ON CONFLICT (key) DO NOTHING`,
]

export const MIGRATIONS: readonly (readonly string[])[] = [
  DDL,
  // 2: leases (the controllers' leader, each node's link holder) for several servers on one database.
  [`CREATE TABLE IF NOT EXISTS ep_leases (
     name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at BIGINT NOT NULL,
     value TEXT NOT NULL DEFAULT '')`],
]

export const SCHEMA_SQL = {
  /** Readable before any migration ran only if ep_meta exists; drivers check that first. */
  version: "SELECT value FROM ep_meta WHERE key = 'schema'",
  setVersion: "INSERT INTO ep_meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
} as const

export function newerSchemaError(found: number): Error {
  return new Error(`the database has schema version ${found}, newer than this edgeplane knows (${SCHEMA_VERSION}): run the edgeplane that wrote it, or restore a backup`)
}

export const SQL = {
  get: 'SELECT value FROM ep_objects WHERE kind = ? AND namespace = ? AND name = ?',
  listAll: 'SELECT value FROM ep_objects WHERE kind = ? ORDER BY namespace, name',
  listNs: 'SELECT value FROM ep_objects WHERE kind = ? AND namespace = ? ORDER BY name',
  revision: "SELECT value FROM ep_meta WHERE key = 'revision'",
  revisionForUpdate: "SELECT value FROM ep_meta WHERE key = 'revision' FOR UPDATE",
  compacted: "SELECT value FROM ep_meta WHERE key = 'compacted'",
  setRevision: "UPDATE ep_meta SET value = ? WHERE key = 'revision'",
  setCompacted: "UPDATE ep_meta SET value = ? WHERE key = 'compacted'",
  upsert: `INSERT INTO ep_objects (kind, namespace, name, revision, value) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (kind, namespace, name) DO UPDATE SET revision = excluded.revision, value = excluded.value`,
  remove: 'DELETE FROM ep_objects WHERE kind = ? AND namespace = ? AND name = ?',
  append: 'INSERT INTO ep_log (revision, kind, namespace, name, type, value) VALUES (?, ?, ?, ?, ?, ?)',
  historyAll: 'SELECT revision, type, value FROM ep_log WHERE revision > ? ORDER BY revision',
  historyKind: 'SELECT revision, type, value FROM ep_log WHERE kind = ? AND revision > ? ORDER BY revision',
  compact: 'DELETE FROM ep_log WHERE revision <= ?',
} as const

export function numberPlaceholders(sql: string): string {
  let i = 0
  return sql.replace(/\?/g, () => `$${++i}`)
}
