// Opens a store by driver name; the one place that knows every driver.
import { join, resolve } from 'node:path'
import { mkdirSync } from 'node:fs'
import type { Clock } from '../lib/clock.js'
import { LogStore } from './log-store.js'
import { MemoryBackend } from './memory/memory-backend.js'
import { PostgresBackend, type PostgresOptions } from './postgres/postgres-backend.js'
import { SqliteBackend } from './sqlite/sqlite-backend.js'
import type { Store } from './types.js'

export type StoreConfig =
  | { driver: 'memory' }
  | { driver: 'sqlite'; path: string }
  | { driver: 'postgres'; url: string; options?: Omit<PostgresOptions, 'clock'> }

export function openStore(cfg: StoreConfig, opts: { clock?: Clock } = {}): LogStore {
  switch (cfg.driver) {
    case 'memory': return new LogStore(new MemoryBackend(), opts)
    case 'sqlite': return new LogStore(new SqliteBackend(cfg.path), opts)
    case 'postgres': return new LogStore(new PostgresBackend(cfg.url, { ...cfg.options, clock: opts.clock }), opts)
  }
}

export function sqliteStoreIn(dataDir: string, opts: { clock?: Clock } = {}): Store {
  mkdirSync(dataDir, { recursive: true })
  return openStore({ driver: 'sqlite', path: join(dataDir, 'edgeplane.db') }, opts)
}

/** The server's store: `url` when given (see parseStoreUrl), else SQLite in the data dir; ready to use. */
export async function openServerStore(url: string | undefined, dataDir: string, opts: { clock?: Clock } = {}): Promise<Store> {
  if (!url) return sqliteStoreIn(dataDir, opts)
  const store = openStore(parseStoreUrl(url), opts)
  try {
    await store.whenReady()
  } catch (err) {
    await store.close().catch(() => undefined)
    throw new Error(`cannot open the store ${redactUrl(url)}: ${(err as Error).message}`)
  }
  return store
}

/**
 * `--store` / EDGEPLANE_STORE: postgres://… or postgresql://… (PostgreSQL), sqlite:///abs/path or
 * sqlite://rel/path or sqlite:path (SQLite file), memory (nothing kept). Throws on anything else.
 */
export function parseStoreUrl(s: string): StoreConfig {
  if (/^postgres(ql)?:\/\//.test(s)) return { driver: 'postgres', url: s }
  if (s === 'memory' || s === 'memory://') return { driver: 'memory' }
  const m = /^sqlite:(?:\/\/)?(.+)$/.exec(s)
  if (m) return { driver: 'sqlite', path: resolve(m[1]) }
  throw new Error(`store "${redactUrl(s)}": expected postgres://user@host:port/db, sqlite:///path/to/edgeplane.db or memory`)
}

/** The URL without its password, for logs and errors. */
export function redactUrl(s: string): string {
  return s.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
