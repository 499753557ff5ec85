// What a storage driver provides to LogStore: atomic revisioned commits over a current-state table
// and an append-only log. Object metadata, CAS rules and watch fan-out live in LogStore, once.
import type { Resource } from '../api/meta.js'
import type { WatchEvent } from './types.js'

/**
 * Decides the write inside the driver's transaction, given the stored object (if any) and the
 * revision this write will get. Throwing aborts the transaction and nothing is written.
 */
export type Mutation = (prev: Resource | undefined, revision: number) => WatchEvent

export interface Backend {
  readonly driver: string
  get(kind: string, namespace: string, name: string): Promise<Resource | undefined>
  /** Current objects of a kind (one namespace or all) and the revision they were read at. */
  list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }>
  /** The same list with each object as its stored JSON text (not parsed). */
  listJson(kind: string, namespace: string | undefined): Promise<{ items: string[]; revision: number }>
  commit(kind: string, namespace: string, name: string, mutate: Mutation): Promise<WatchEvent>
  /** Log entries with revision > after, oldest first. */
  history(after: number, kind: string | undefined): Promise<WatchEvent[]>
  revision(): Promise<number>
  compactedRevision(): Promise<number>
  compact(revision: number): Promise<void>
  close(): Promise<void>
}
