// What a storage driver provides to LogStore: atomic revisioned commits over a current-state table
// and an append-only log. Object metadata, CAS rules and watch fan-out live in LogStore, once.
import type { Resource } from '../api/meta.js'
import type { WatchEvent } from './types.js'
import type { LeaseTable } from './leases.js'

/**
 * Decides the write inside the driver's transaction, given the stored object (if any) and the
 * revision this write will get. Throwing aborts the transaction and nothing is written.
 */
export type Mutation = (prev: Resource | undefined, revision: number) => WatchEvent

/**
 * Given to a write that only the holder of a lease may make (the controllers' leader): the driver
 * checks, in the write's own transaction, that `holder` still holds lease `name` at `epoch`, and
 * refuses the write (Unavailable) otherwise. A deposed leader's late writes are refused this way.
 */
export interface Fence { name: string; holder: string; epoch: number }

/**
 * A driver whose database other processes write too (PostgreSQL) delivers every committed event
 * itself, its own and theirs, in revision order: LogStore then does not emit on commit. `fail`
 * ends every watch (e.g. the driver fell behind a compaction); watchers relist.
 */
export interface EventSource {
  deliver(ev: WatchEvent): void
  fail(err: Error): void
}

export interface Backend {
  readonly driver: string
  /** Drivers of a database several servers share (PostgreSQL) keep leases there. */
  readonly leases?: LeaseTable
  /** Set by drivers that deliver events themselves (see EventSource); called once, before any write. */
  follow?(sink: EventSource): Promise<void>
  get(kind: string, namespace: string, name: string): Promise<Resource | undefined>
  /** Current objects of a kind (one namespace or all) and the revision they were read at. */
  list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }>
  /** The same list with each object as its stored JSON text (not parsed). */
  listJson(kind: string, namespace: string | undefined): Promise<{ items: string[]; revision: number }>
  commit(kind: string, namespace: string, name: string, mutate: Mutation, fence?: Fence): Promise<WatchEvent>
  /** Log entries with revision > after, oldest first. */
  history(after: number, kind: string | undefined): Promise<WatchEvent[]>
  revision(): Promise<number>
  compactedRevision(): Promise<number>
  compact(revision: number): Promise<void>
  close(): Promise<void>
}
