// Per-key token buckets (a client IP at the gateway; one key for the server's accept gate and link
// admission). Time comes from the injected clock. The map is bounded: buckets that have refilled
// completely carry no information and are swept; beyond maxKeys the oldest are evicted (under a
// flood of distinct addresses a bucket may reset early).
import type { Clock } from './clock.js'

interface Bucket { tokens: number; at: number }

export type TakeResult = 0 | number // 0: allowed; > 0: refused, milliseconds until a token is back

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  private readonly fullAfterMs: number
  private takes = 0

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {
    this.fullAfterMs = ratePerSecond > 0 ? (burst / ratePerSecond) * 1000 : Infinity
  }

  get enabled(): boolean { return this.ratePerSecond > 0 }

  /** Takes one token for key. Returns 0 when allowed, else the wait in ms until one is available. */
  take(key: string): TakeResult {
    if (this.ratePerSecond <= 0) return 0
    const now = this.clock.now()
    let b = this.buckets.get(key)
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.makeRoom(now)
      b = { tokens: this.burst, at: now }
      this.buckets.set(key, b)
    } else if (now > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.ratePerSecond) / 1000)
      b.at = now
    }
    if ((++this.takes & 1023) === 0) this.sweep(now)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 1000) / this.ratePerSecond))
  }

  /** Tokens key holds now (burst for an unknown key). */
  tokens(key: string): number {
    const b = this.buckets.get(key)
    if (!b) return this.burst
    return Math.min(this.burst, b.tokens + ((this.clock.now() - b.at) * this.ratePerSecond) / 1000)
  }

  get size(): number { return this.buckets.size }

  /** Drops the buckets that have refilled completely (they behave exactly like absent ones). */
  sweep(now = this.clock.now()): void {
    for (const [k, b] of this.buckets) if (now - b.at >= this.fullAfterMs) this.buckets.delete(k)
  }

  private makeRoom(now: number): void {
    this.sweep(now)
    // Still full: evict the oldest inserted keys (Map iteration is insertion order).
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break
      this.buckets.delete(k)
    }
  }
}
