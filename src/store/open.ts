// Opens a store by driver name; the one place that knows every driver.
import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import type { Clock } from '../lib/clock.js'
import { LogStore } from './log-store.js'
import { MemoryBackend } from './memory/memory-backend.js'
import { SqliteBackend } from './sqlite/sqlite-backend.js'
import type { Store } from './types.js'

export type StoreConfig =
  | { driver: 'memory' }
  | { driver: 'sqlite'; path: string }

export function openStore(cfg: StoreConfig, opts: { clock?: Clock } = {}): Store {
  switch (cfg.driver) {
    case 'memory': return new LogStore(new MemoryBackend(), opts)
    case 'sqlite': return new LogStore(new SqliteBackend(cfg.path), opts)
  }
}

export function sqliteStoreIn(dataDir: string, opts: { clock?: Clock } = {}): Store {
  mkdirSync(dataDir, { recursive: true })
  return openStore({ driver: 'sqlite', path: join(dataDir, 'edgeplane.db') }, opts)
}
