// A keyed work queue for level-triggered controllers (after controller-runtime): a key is queued
// at most once, never processed by two workers at once, retried with per-key exponential backoff,
// and dropped without retry when the error says retrying cannot help.
import { isApiError } from '../../api/errors.js'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'

export interface ReconcileResult { requeueAfterMs?: number }

export interface WorkQueueOptions {
  name: string
  clock: Clock
  log: Logger
  reconcile: (key: string) => Promise<ReconcileResult | void>
  concurrency?: number
  baseBackoffMs?: number
  maxBackoffMs?: number
  /**
   * At most this share of the time goes to any one key: after a reconcile that took d ms, the key
   * is not started again for d × (1 − dutyCycle) / dutyCycle ms. An app with 10,000 replicas whose
   * instances change all the time then cannot hold the process (links, heartbeats, other apps) in
   * back-to-back reconciles. Unset: no pacing. This is about CPU, so it runs on real time (not the
   * injected clock) and only after reconciles of PACE_MIN_MS or more.
   */
  dutyCycle?: number
}

const PACE_MIN_MS = 20

export class WorkQueue {
  private queue: string[] = []
  private queued = new Set<string>()
  private active = new Set<string>()
  private dirty = new Set<string>()
  private failures = new Map<string, number>()
  private timers = new Map<string, TimerHandle>()
  private notBefore = new Map<string, number>()
  private paced = new Map<string, ReturnType<typeof setTimeout>>()
  private running = 0
  private stopped = false
  private idleWaiters: (() => void)[] = []

  constructor(private o: WorkQueueOptions) {}

  add(key: string): void {
    if (this.stopped) return
    if (this.active.has(key)) { this.dirty.add(key); return }
    if (this.queued.has(key) || this.paced.has(key)) return
    const wait = (this.notBefore.get(key) ?? 0) - performance.now()
    if (wait > 0) {
      this.paced.set(key, setTimeout(() => { this.paced.delete(key); this.notBefore.delete(key); this.add(key) }, wait))
      return
    }
    this.queued.add(key)
    this.queue.push(key)
    this.pump()
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped) return
    this.timers.get(key)?.cancel()
    this.timers.set(key, this.o.clock.setTimeout(() => { this.timers.delete(key); this.add(key) }, ms))
  }

  private pump(): void {
    const max = this.o.concurrency ?? 1
    while (this.running < max && this.queue.length) {
      const key = this.queue.shift()!
      this.queued.delete(key)
      this.active.add(key)
      this.running++
      void this.process(key)
    }
    if (!this.running && !this.queue.length && !this.paced.size) for (const w of this.idleWaiters.splice(0)) w()
  }

  private async process(key: string): Promise<void> {
    const started = performance.now()
    try {
      const res = await this.o.reconcile(key)
      this.failures.delete(key)
      if (res?.requeueAfterMs !== undefined) this.addAfter(key, res.requeueAfterMs)
    } catch (err) {
      if (isApiError(err) && !err.retryable) {
        this.o.log.warn({ err, key, controller: this.o.name }, 'reconcile failed; not retrying')
        this.failures.delete(key)
      } else {
        const n = (this.failures.get(key) ?? 0) + 1
        this.failures.set(key, n)
        const delay = Math.min(this.o.maxBackoffMs ?? 30_000, (this.o.baseBackoffMs ?? 100) * 2 ** (n - 1))
        this.o.log.warn({ err, key, controller: this.o.name, retryInMs: delay }, 'reconcile failed; retrying')
        this.addAfter(key, delay)
      }
    } finally {
      const duty = this.o.dutyCycle
      if (duty !== undefined && duty > 0 && duty < 1) {
        const took = performance.now() - started
        if (took >= PACE_MIN_MS) this.notBefore.set(key, performance.now() + (took * (1 - duty)) / duty)
        else this.notBefore.delete(key)
      }
      this.active.delete(key)
      this.running--
      if (this.dirty.delete(key)) this.add(key)
      this.pump()
    }
  }

  /** Resolves when nothing is queued, running or paced (requeue and retry timers may still be pending). */
  idle(): Promise<void> {
    if (!this.running && !this.queue.length && !this.paced.size) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  get length(): number { return this.queue.length }

  stop(): void {
    this.stopped = true
    for (const t of this.timers.values()) t.cancel()
    for (const t of this.paced.values()) clearTimeout(t)
    this.timers.clear()
    this.paced.clear()
    this.queue = []
    this.queued.clear()
  }
}
