// A watch-fed, in-memory copy of one kind (an "informer"): controllers, routing and the link read
// from here, never from the store on their hot paths. Cached objects are shared: never mutate them.
import { isApiError } from '../api/errors.js'
import { keyOf, type Resource } from '../api/meta.js'
import type { Store, Watch, WatchEvent } from './types.js'

const RELIST_MIN_MS = 100
const RELIST_MAX_MS = 5000

export type CacheHandler<T extends Resource> = (ev: WatchEvent<T>, prev: T | undefined) => void

export class Cache<T extends Resource = Resource> {
  private items = new Map<string, T>()
  private handlers: CacheHandler<T>[] = []
  private watch: Watch | undefined
  private stopped = false
  private rev = 0

  constructor(private store: Store, readonly kind: string) {}

  /** Lists then watches; resolves once the initial list is loaded. */
  async start(): Promise<void> {
    const { items, revision } = await this.store.list<T>(this.kind)
    const fresh = new Map(items.map((o) => [keyOf(o), o]))
    // On a relist, tell handlers about what changed while the watch was broken.
    for (const [k, prev] of this.items) {
      if (!fresh.has(k)) this.dispatch({ type: 'DELETED', object: prev, revision }, prev)
    }
    const old = this.items
    this.items = fresh
    for (const [k, o] of fresh) {
      const prev = old.get(k)
      if (!prev) this.dispatch({ type: 'ADDED', object: o, revision }, undefined)
      else if (prev.metadata.resourceVersion !== o.metadata.resourceVersion) this.dispatch({ type: 'MODIFIED', object: o, revision }, prev)
    }
    this.rev = revision
    this.watch = await this.store.watch({ kind: this.kind, fromRevision: revision }, (ev) => this.apply(ev as WatchEvent<T>), (err) => {
      if (!err || this.stopped) return
      // The store dropped us (e.g. compacted past our revision, or too slow a reader): relist and rewatch.
      this.relist(isApiError(err, 'Compacted') ? 0 : RELIST_MIN_MS)
    })
  }

  /** Relists until it works (a store that is briefly unavailable must not kill the process), backing off. */
  private relist(delayMs: number): void {
    const attempt = () => {
      if (this.stopped) return
      this.start().catch((err) => {
        this.onRelistError?.(err)
        this.relist(Math.min(RELIST_MAX_MS, Math.max(RELIST_MIN_MS, delayMs * 2)))
      })
    }
    if (delayMs) setTimeout(attempt, delayMs).unref()
    else attempt()
  }

  /** Told about each failed relist (the caller logs it); the cache keeps retrying. */
  onRelistError: ((err: unknown) => void) | undefined

  private apply(ev: WatchEvent<T>): void {
    const k = keyOf(ev.object)
    const prev = this.items.get(k)
    if (ev.type === 'DELETED') this.items.delete(k)
    else this.items.set(k, ev.object)
    this.rev = ev.revision
    this.dispatch(ev, prev)
  }

  private dispatch(ev: WatchEvent<T>, prev: T | undefined): void {
    for (const h of this.handlers) h(ev, prev)
  }

  on(handler: CacheHandler<T>): void { this.handlers.push(handler) }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(`${this.kind}/${namespace ?? ''}/${name}`)
  }

  list(): T[] { return [...this.items.values()] }
  get size(): number { return this.items.size }
  get revision(): number { return this.rev }

  stop(): void {
    this.stopped = true
    this.watch?.close()
  }
}
