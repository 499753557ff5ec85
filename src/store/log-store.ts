// The Store every driver shares: object metadata (uid, generation, timestamps, resourceVersion),
// compare-and-swap rules, and watch (history replay, then live events from the fan-out).
import { randomUUID } from 'node:crypto'
import { ApiError } from '../api/errors.js'
import { matchesRequirements } from '../api/labels.js'
import type { Resource } from '../api/meta.js'
import { systemClock, type Clock } from '../lib/clock.js'
import type { Backend, Fence } from './backend.js'
import type { LeaseTable } from './leases.js'
import { Fanout, matches, type Subscriber } from './fanout.js'
import type { DeleteOptions, ListOptions, ListResult, Store, UpdateOptions, Watch, WatchEvent, WatchOptions, WriteOptions } from './types.js'

export interface LogStoreOptions { clock?: Clock }

export class LogStore implements Store {
  private fanout = new Fanout()
  private clock: Clock
  private closed = false
  /** The fence this store's writes carry (see withFence); none by default. */
  private fenceOf: (() => Fence | undefined) | undefined
  /** Resolves once a driver that delivers events itself (Backend.follow) is following the log. */
  private ready: Promise<void>
  private readonly emitsOnCommit: boolean

  constructor(private backend: Backend, opts: LogStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock
    this.emitsOnCommit = !backend.follow
    this.ready = backend.follow
      ? backend.follow({ deliver: (ev) => this.fanout.emit(ev), fail: (err) => this.fanout.failAll(err) })
      : Promise.resolve()
    this.ready.catch(() => undefined) // reported by every call that awaits it
  }

  /** Resolves when the store can be used; rejects with why not (e.g. the database is unreachable). */
  whenReady(): Promise<void> { return this.ready }

  /**
   * The same store, whose writes carry `fence()` (checked by the driver in the write's transaction):
   * the controllers write through this, so a deposed leader's writes are refused. While fence()
   * gives nothing (not the leader), every write through the view is refused at once.
   */
  withFence(fence: () => Fence | undefined): LogStore {
    const view = Object.create(this) as LogStore
    view.fenceOf = fence
    return view
  }

  get driver(): string { return this.backend.driver }
  get leases(): LeaseTable | undefined { return this.backend.leases }

  async get<T extends Resource>(kind: string, namespace: string | undefined, name: string): Promise<T | undefined> {
    return (await this.backend.get(kind, namespace ?? '', name)) as T | undefined
  }

  async list<T extends Resource>(kind: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    const { items, revision } = await this.backend.list(kind, opts.namespace)
    const sel = opts.labelSelector
    const filtered = sel?.length ? items.filter((o) => matchesRequirements(o.metadata.labels, sel)) : items
    return { items: filtered as T[], revision }
  }

  listJson(kind: string, opts: { namespace?: string } = {}): Promise<{ items: string[]; revision: number }> {
    return this.backend.listJson(kind, opts.namespace)
  }

  async create<T extends Resource>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ns = obj.metadata.namespace ?? ''
    const ev = await this.commit(obj.kind, ns, obj.metadata.name, opts, (prev, revision) => {
      if (prev) throw new ApiError('AlreadyExists', `${obj.kind} "${obj.metadata.name}" already exists`, { kind: obj.kind, name: obj.metadata.name })
      const created: Resource = {
        ...obj,
        metadata: {
          ...obj.metadata,
          uid: randomUUID(),
          generation: 1,
          creationTimestamp: new Date(this.clock.now()).toISOString(),
          resourceVersion: String(revision),
        },
      }
      return { type: 'ADDED', object: created, revision }
    })
    return ev.object as T
  }

  async update<T extends Resource>(obj: T, opts: UpdateOptions = {}): Promise<T> {
    const ns = obj.metadata.namespace ?? ''
    const ev = await this.commit(obj.kind, ns, obj.metadata.name, opts, (prev, revision) => {
      if (!prev) throw new ApiError('NotFound', `${obj.kind} "${obj.metadata.name}" not found`, { kind: obj.kind, name: obj.metadata.name })
      checkVersion(obj.kind, obj.metadata.name, obj.metadata.resourceVersion, prev)
      let next: Resource
      if (opts.subresource === 'status') {
        next = { ...prev, status: obj.status }
      } else {
        next = { ...obj, metadata: { ...obj.metadata } }
        if ('status' in prev || 'status' in obj) {
          if (prev.status === undefined) delete next.status
          else next.status = prev.status
        }
        const specChanged = canonicalJson(withoutMetaStatus(prev)) !== canonicalJson(withoutMetaStatus(next))
        next.metadata.generation = (prev.metadata.generation ?? 1) + (specChanged ? 1 : 0)
      }
      next.metadata = {
        ...next.metadata,
        uid: prev.metadata.uid,
        creationTimestamp: prev.metadata.creationTimestamp,
        generation: next.metadata.generation ?? prev.metadata.generation,
        resourceVersion: String(revision),
      }
      return { type: 'MODIFIED', object: next, revision }
    })
    return ev.object as T
  }

  async delete(kind: string, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<Resource> {
    const ev = await this.commit(kind, namespace ?? '', name, opts, (prev, revision) => {
      if (!prev) throw new ApiError('NotFound', `${kind} "${name}" not found`, { kind, name })
      checkVersion(kind, name, opts.resourceVersion, prev)
      return { type: 'DELETED', object: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(revision) } }, revision }
    })
    return ev.object
  }

  private async commit(kind: string, ns: string, name: string, opts: WriteOptions, mutate: Parameters<Backend['commit']>[3]): Promise<WatchEvent> {
    if (this.closed) throw new ApiError('Unavailable', 'store is closed')
    await this.ready
    if (opts.dryRun) return dryRunOf(await this.backend.get(kind, ns, name), mutate, await this.backend.revision())
    const fence = this.fenceOf?.()
    if (this.fenceOf && !fence) throw new ApiError('Unavailable', 'this server is not the leader: its controllers\' writes are refused')
    const ev = await this.backend.commit(kind, ns, name, mutate, fence)
    if (this.emitsOnCommit) this.fanout.emit(ev)
    return ev
  }

  async watch(opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onClose?: (err?: Error) => void): Promise<Watch> {
    await this.ready
    const compacted = await this.backend.compactedRevision()
    if (opts.fromRevision < compacted) throw compactedError(opts.fromRevision, compacted)
    let open = true
    const finish = (err?: Error): void => {
      if (!open) return
      open = false
      this.fanout.remove(sub)
      onClose?.(err)
    }
    // Subscribe before reading history so nothing committed in between is missed.
    const sub: Subscriber = {
      kind: opts.kind, namespace: opts.namespace, buffer: [], after: opts.fromRevision, deliver: onEvent,
      fail: (err) => finish(err instanceof Error ? err : new Error(String(err))),
    }
    this.fanout.add(sub)
    let history: WatchEvent[]
    try {
      history = await this.backend.history(opts.fromRevision, opts.kind)
      // A compaction that ran while this watch was starting may have removed part of the history
      // just read: report Compacted rather than deliver a log with a silent gap.
      const compactedNow = await this.backend.compactedRevision()
      if (opts.fromRevision < compactedNow) throw compactedError(opts.fromRevision, compactedNow)
    } catch (err) {
      open = false
      this.fanout.remove(sub)
      throw err
    }
    const pending = sub.buffer!
    sub.buffer = null
    try {
      for (const ev of history.concat(pending)) {
        if (!matches(sub, ev) || ev.revision <= sub.after) continue
        sub.after = ev.revision
        onEvent(ev)
      }
    } catch (err) {
      // The caller gets the error and no handle, so the subscription must not outlive it.
      open = false
      this.fanout.remove(sub)
      throw err
    }
    return { close: () => finish() }
  }

  revision(): Promise<number> { return this.backend.revision() }
  compactedRevision(): Promise<number> { return this.backend.compactedRevision() }
  compact(revision: number): Promise<void> { return this.backend.compact(revision) }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.backend.close()
  }
}

/** The write `mutate` would make on `prev`, with the revision it would get left out. */
function dryRunOf(prev: Resource | undefined, mutate: Parameters<Backend['commit']>[3], revision: number): WatchEvent {
  const ev = mutate(prev, revision + 1)
  const metadata = { ...ev.object.metadata }
  if (prev?.metadata.resourceVersion) metadata.resourceVersion = prev.metadata.resourceVersion
  else delete metadata.resourceVersion
  return { ...ev, object: { ...ev.object, metadata }, revision }
}

function checkVersion(kind: string, name: string, expected: string | undefined, prev: Resource): void {
  if (expected !== undefined && expected !== '' && expected !== prev.metadata.resourceVersion) {
    throw new ApiError('Conflict', `${kind} "${name}" was modified (resourceVersion ${expected} is stale, current is ${prev.metadata.resourceVersion}); read it again and retry`, { kind, name })
  }
}

function compactedError(fromRevision: number, compacted: number): ApiError {
  return new ApiError('Compacted', `revision ${fromRevision} has been compacted (oldest available is ${compacted}); list again and watch from the list's resourceVersion`)
}

/** JSON with object keys sorted, so equal content compares equal whatever order its keys came in. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val)
}

function withoutMetaStatus(o: Resource): unknown {
  const { metadata: _m, status: _s, ...rest } = o
  return rest
}
