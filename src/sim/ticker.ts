// One shared timer for thousands of hollow nodes: a hashed wheel of time slots driven by a single
// interval, exposed as a Clock so the real link client (watchdog, redial backoff) runs on it
// unchanged. Timers fire at slot granularity (default 50 ms), never early.
import type { Clock, TimerHandle } from '../lib/clock.js'

interface Entry { fn: () => void; live: boolean }

export class Ticker implements Clock {
  private slots = new Map<number, Entry[]>()
  /** Every slot up to and including this one has fired. */
  private done: number
  private pending = 0
  private interval: NodeJS.Timeout | undefined

  constructor(readonly resolutionMs = 50, private onError: (err: unknown) => void = () => undefined) {
    this.done = Math.floor(Date.now() / resolutionMs)
  }

  now(): number { return Date.now() }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const slot = Math.max(this.done + 1, Math.ceil((Date.now() + Math.max(0, ms)) / this.resolutionMs))
    const e: Entry = { fn, live: true }
    const list = this.slots.get(slot)
    if (list) list.push(e)
    else this.slots.set(slot, [e])
    this.pending++
    if (!this.interval) {
      this.done = Math.max(this.done, Math.floor(Date.now() / this.resolutionMs) - 1)
      this.interval = setInterval(() => this.run(), this.resolutionMs)
      this.interval.unref()
    }
    return { cancel: () => { if (e.live) { e.live = false; this.pending-- } } }
  }

  /** Timers waiting to fire. */
  get size(): number { return this.pending }

  private run(): void {
    const now = Math.floor(Date.now() / this.resolutionMs)
    while (this.done < now) {
      const slot = ++this.done
      const list = this.slots.get(slot)
      if (!list) continue
      this.slots.delete(slot)
      for (const e of list) {
        if (!e.live) continue
        e.live = false
        this.pending--
        try { e.fn() } catch (err) { this.onError(err) }
      }
    }
    if (this.pending === 0) {
      // Only cancelled entries are left: drop them and sleep until the next timer.
      this.slots.clear()
      this.stop()
    }
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval)
    this.interval = undefined
  }
}

/** A node's view of the shared ticker that can be frozen: a frozen (dead) node runs nothing at all. */
export class NodeClock implements Clock {
  frozen = false
  constructor(private ticker: Ticker) {}
  now(): number { return this.ticker.now() }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.ticker.setTimeout(() => { if (!this.frozen) fn() }, ms)
  }
}
