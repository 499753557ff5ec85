// Admission of agent hellos: a token bucket (rate per second, burst) with bounded concurrency and a
// bounded wait queue. Thousands of agents reconnecting at once after a server restart are let in
// at a steady pace instead of toppling the server; past the queue they are told to come back later
// (and their jittered backoff spreads them out).
import { ApiError } from '../../api/errors.js'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import { TokenBuckets } from '../../lib/token-buckets.js'

export interface AdmissionOptions {
  clock: Clock
  ratePerSecond: number
  burst: number
  maxConcurrent: number
  maxQueued: number
}

export class Admission {
  private bucket: TokenBuckets
  private running = 0
  private waiting: { resolve: () => void }[] = []
  private timer: TimerHandle | undefined

  constructor(private o: AdmissionOptions) {
    this.bucket = new TokenBuckets(o.clock, o.ratePerSecond, o.burst, 1)
  }

  /** Resolves when this hello may proceed; call the returned release() when its work is done. */
  acquire(): Promise<() => void> {
    if (this.waiting.length >= this.o.maxQueued) {
      return Promise.reject(new ApiError('Unavailable', 'too many agents are connecting at once; retry later', { retryAfterSeconds: 1 }))
    }
    return new Promise((resolve) => {
      this.waiting.push({ resolve: () => resolve(this.releaser()) })
      this.pump()
    })
  }

  private releaser(): () => void {
    let done = false
    return () => {
      if (done) return
      done = true
      this.running--
      this.pump()
    }
  }

  private pump(): void {
    while (this.waiting.length && this.running < this.o.maxConcurrent) {
      const waitMs = this.bucket.take('')
      if (waitMs > 0) {
        this.timer ??= this.o.clock.setTimeout(() => { this.timer = undefined; this.pump() }, waitMs)
        return
      }
      this.running++
      this.waiting.shift()!.resolve()
    }
  }

  get queued(): number { return this.waiting.length }
  get inFlight(): number { return this.running }

  stop(): void { this.timer?.cancel() }
}
