// Per-host counters between two reports. Bounded: a fixed histogram for latency, a capped map of
// client prefixes (top N reported), and hosts dropped from the map once idle and reported.
import { LatencyHistogram } from './histogram.js'
import type { TrafficReport } from './types.js'

export class HostStats {
  requests = 0
  errors = 0
  overflowed = 0
  rejected = 0
  inflight = 0
  saturated = false
  readonly latency = new LatencyHistogram()
  readonly prefixes = new Map<string, number>()

  constructor(readonly host: string, private readonly maxPrefixes: number) {}

  countPrefix(prefix: string): void {
    if (!prefix) return
    const n = this.prefixes.get(prefix)
    if (n !== undefined) this.prefixes.set(prefix, n + 1)
    else if (this.prefixes.size < this.maxPrefixes) this.prefixes.set(prefix, 1)
  }

  get idle(): boolean { return this.requests === 0 && this.inflight === 0 }

  /** The report for the interval, then the interval's counters reset (in-flight stays). */
  drain(topPrefixes: number): TrafficReport {
    const top = [...this.prefixes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, topPrefixes)
    const report: TrafficReport = {
      host: this.host,
      requests: this.requests,
      errors: this.errors,
      overflowed: this.overflowed,
      rejected: this.rejected,
      latencyMs: { p50: round(this.latency.quantile(0.5)), p99: round(this.latency.quantile(0.99)) },
      inflight: this.inflight,
      byPrefix: Object.fromEntries(top),
      saturated: this.saturated,
    }
    this.requests = this.errors = this.overflowed = this.rejected = 0
    this.saturated = false
    this.latency.reset()
    this.prefixes.clear()
    return report
  }
}

export class TrafficStats {
  private readonly hosts = new Map<string, HostStats>()

  constructor(private readonly topPrefixes: number, private readonly maxPrefixes: number) {}

  host(host: string): HostStats {
    let s = this.hosts.get(host)
    if (!s) {
      s = new HostStats(host, this.maxPrefixes)
      this.hosts.set(host, s)
    }
    return s
  }

  /** One report per host that saw requests (or has some in flight) since the last drain. */
  drain(): TrafficReport[] {
    const out: TrafficReport[] = []
    for (const [host, s] of this.hosts) {
      if (s.idle) { this.hosts.delete(host); continue }
      out.push(s.drain(this.topPrefixes))
    }
    return out
  }
}

function round(ms: number): number { return Math.round(ms * 100) / 100 }
