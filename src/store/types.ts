// The Store contract: a revisioned log of resources with compare-and-swap and watch.
// Every write bumps one global revision; resourceVersion is that revision as a string.
import type { Resource } from '../api/meta.js'
import type { LabelRequirement } from '../api/labels.js'

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchEvent<T extends Resource = Resource> {
  type: WatchEventType
  object: T
  revision: number
}

export interface ListOptions {
  namespace?: string
  labelSelector?: LabelRequirement[]
}

export interface ListResult<T extends Resource = Resource> {
  items: T[]
  revision: number
}

export interface WatchOptions {
  kind?: string
  namespace?: string
  /** Events after this revision are delivered: history first, then live. */
  fromRevision: number
}

export interface Watch { close(): void }

export interface WriteOptions {
  /**
   * Every check runs and the result is returned, but nothing is written and no watcher hears of it
   * (the API's dryRun=All). The result keeps the stored resourceVersion (none for a create).
   */
  dryRun?: boolean
}

export interface UpdateOptions extends WriteOptions {
  /** 'status' replaces only status; the default replaces everything but status (kept from the stored object). */
  subresource?: 'status'
}

export interface DeleteOptions extends WriteOptions {
  /** When set, the delete only happens if the stored object is still at this revision. */
  resourceVersion?: string
}

export interface Store {
  readonly driver: string
  /** Present on a database several servers share (see leases.ts). */
  readonly leases?: import('./leases.js').LeaseTable
  get<T extends Resource = Resource>(kind: string, namespace: string | undefined, name: string): Promise<T | undefined>
  list<T extends Resource = Resource>(kind: string, opts?: ListOptions): Promise<ListResult<T>>
  /**
   * A whole list (no selector) with each object as JSON text, as stored: for an answer that passes
   * the objects on unread (10,000 Nodes were parsed and serialised again, ~0.1 s, to be listed).
   */
  listJson(kind: string, opts?: { namespace?: string }): Promise<{ items: string[]; revision: number }>
  /** Fails with AlreadyExists if the object exists. */
  create<T extends Resource>(obj: T, opts?: WriteOptions): Promise<T>
  /** Compare-and-swap when obj.metadata.resourceVersion is set (Conflict if stale); NotFound if absent. */
  update<T extends Resource>(obj: T, opts?: UpdateOptions): Promise<T>
  delete(kind: string, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<Resource>
  /** Fails with Compacted if fromRevision is older than the compaction point. */
  watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose?: (err?: Error) => void): Promise<Watch>
  revision(): Promise<number>
  compactedRevision(): Promise<number>
  /** Drops history at and below `revision`; current objects are kept. */
  compact(revision: number): Promise<void>
  close(): Promise<void>
}
