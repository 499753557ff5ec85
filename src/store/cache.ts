// A watch-fed, in-memory copy of one kind (an "informer"): controllers, routing and the link read
// from here, never from the store on their hot paths. Cached objects are shared: never mutate them.
//
// Handlers see events in revision order. Most see them a microtask late, in a run over every event
// applied meanwhile: a group commit hands thousands of events over at once, and a handler marked
// `inline` (the link's pushes) sees each as it is applied, so a change to 10,000 sites goes out
// before the scheduler's index and the controllers look at it, not interleaved with them. The late
// run still comes before the writer's `await` returns and before any I/O, so a writer and the next
// request see every handler's view of the write.
import { isApiError } from '../api/errors.js'
import { keyOf, type Resource } from '../api/meta.js'
import type { Store, Watch, WatchEvent } from './types.js'

const RELIST_MIN_MS = 100
const RELIST_MAX_MS = 5000

export type CacheHandler<T extends Resource> = (ev: WatchEvent<T>, prev: T | undefined) => void

export class Cache<T extends Resource = Resource> {
  private items = new Map<string, T>()
  private inline: CacheHandler<T>[] = []
  private handlers: CacheHandler<T>[] = []
  /** Events applied but not yet seen by the (late) handlers. */
  private late: { ev: WatchEvent<T>; prev: T | undefined }[] = []
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
    for (const h of this.inline) h(ev, prev)
    if (!this.handlers.length) return
    if (!this.late.length) queueMicrotask(() => this.runLate())
    this.late.push({ ev, prev })
  }

  private runLate(): void {
    const late = this.late
    // An event applied while this runs joins the run (handlers' own writes arrive later, committed).
    for (let i = 0; i < late.length; i++) {
      for (const h of this.handlers) {
        // A throwing handler loses that event, not the others' (nor its own next ones).
        try { h(late[i].ev, late[i].prev) } catch (err) { this.onHandlerError?.(err) }
      }
    }
    this.late = []
  }

  /** Told about each error a (late) handler threw; the caller logs it. */
  onHandlerError: ((err: unknown) => void) | undefined

  /**
   * inline: the handler sees each event as it is applied, before the others see the batch it came
   * in (for the latency-critical consumer; it must be cheap, and read nothing the others maintain).
   */
  on(handler: CacheHandler<T>, opts: { inline?: boolean } = {}): void { (opts.inline ? this.inline : this.handlers).push(handler) }

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
