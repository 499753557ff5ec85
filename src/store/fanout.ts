// Delivers committed events to watchers in revision order, one event at a time, even when a
// watcher's handler itself writes to the store (those events queue behind the current one).
import type { WatchEvent } from './types.js'

export interface Subscriber {
  kind?: string
  namespace?: string
  /** While buffering, events are held until the history replay has caught up. */
  buffer: WatchEvent[] | null
  after: number
  deliver(ev: WatchEvent): void
  /** Called (after the subscriber is removed) when deliver throws; other subscribers are unaffected. */
  fail?(err: unknown): void
}

export class Fanout {
  private subs = new Set<Subscriber>()
  private queue: WatchEvent[] = []
  private draining = false

  add(sub: Subscriber): void { this.subs.add(sub) }
  remove(sub: Subscriber): void { this.subs.delete(sub) }
  get size(): number { return this.subs.size }

  /** Ends every subscription with err (each subscriber's fail is told). */
  failAll(err: Error): void {
    const subs = [...this.subs]
    this.subs.clear()
    for (const s of subs) s.fail?.(err)
  }

  emit(ev: WatchEvent): void {
    this.queue.push(ev)
    if (this.draining) return
    this.draining = true
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const e = this.queue[i]
        for (const s of this.subs) {
          if (!matches(s, e)) continue
          if (s.buffer) s.buffer.push(e)
          else if (e.revision > s.after) {
            s.after = e.revision
            // A throwing handler must not fail the write that was already committed, nor cut
            // delivery short for the other subscribers: it loses only its own watch.
            try { s.deliver(e) } catch (err) { this.subs.delete(s); s.fail?.(err) }
          }
        }
      }
    } finally {
      this.queue = []
      this.draining = false
    }
  }
}

export function matches(s: { kind?: string; namespace?: string }, e: WatchEvent): boolean {
  if (s.kind && e.object.kind !== s.kind) return false
  if (s.namespace && (e.object.metadata.namespace ?? '') !== s.namespace) return false
  return true
}
