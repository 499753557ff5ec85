// How fast a site's pool is drained: slots taken over the last WINDOW_MS, counted in one-second
// buckets on the injected clock. The pool keeps that many slots warm (at least warmPerSite, at
// most what maxPerSite allows): a burst that emptied it finds room for the same burst again while
// demand lasts, and the extra slots go once the burst falls out of the window (their instances
// stop after scaleDownAfterSeconds idle, as any idle ones).

export const DRAIN_WINDOW_MS = 10_000
const BUCKET_MS = 1000
const BUCKETS = DRAIN_WINDOW_MS / BUCKET_MS

export class DrainRate {
  private counts = new Uint32Array(BUCKETS)
  /** The bucket number (now / BUCKET_MS) of the newest count. */
  private head = -1
  private total = 0

  /** One slot taken at `now`. */
  take(now: number): void {
    this.advance(now)
    this.counts[this.head % BUCKETS]++
    this.total++
  }

  /** Slots taken in the last window, as of `now`. */
  recent(now: number): number {
    this.advance(now)
    return this.total
  }

  private advance(now: number): void {
    const b = Math.floor(now / BUCKET_MS)
    if (this.head < 0) { this.head = b; return }
    if (b <= this.head) return
    // Buckets that fell out of the window are cleared (all of them after a long quiet spell).
    for (let k = this.head + 1; k <= Math.min(b, this.head + BUCKETS); k++) {
      this.total -= this.counts[k % BUCKETS]
      this.counts[k % BUCKETS] = 0
    }
    this.head = b
  }
}
