// Fixed-size latency histogram: log-spaced buckets 8% wide from 10 µs to ~2 min. Constant memory,
// O(1) record; quantiles are accurate to one bucket (±8%), clamped to the observed min and max.

const MIN_MS = 0.01
const GROWTH = 1.08
const LOG_GROWTH = Math.log(GROWTH)
const BUCKETS = 216 // MIN_MS * GROWTH^215 ≈ 155 s

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS)
  private n = 0
  private min = Infinity
  private max = 0

  record(ms: number): void {
    const v = ms > 0 ? ms : 0
    let i = v <= MIN_MS ? 0 : Math.ceil(Math.log(v / MIN_MS) / LOG_GROWTH)
    if (i >= BUCKETS) i = BUCKETS - 1
    this.counts[i]++
    this.n++
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  get count(): number { return this.n }

  /** The q-quantile (0..1) in ms, 0 when empty. */
  quantile(q: number): number {
    if (this.n === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.n))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= rank) {
        if (i === BUCKETS - 1) return this.max // the overflow bucket has no upper bound
        const upper = MIN_MS * GROWTH ** i
        return Math.min(this.max, Math.max(this.min, upper))
      }
    }
    return this.max
  }

  reset(): void {
    this.counts.fill(0)
    this.n = 0
    this.min = Infinity
    this.max = 0
  }
}
