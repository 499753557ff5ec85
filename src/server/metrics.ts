// Prometheus metrics of one server (its own registry, so several servers can share a process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { DnsStats } from '../routing/dns/stats.js'
import type { AcceptGateStats } from './link/accept-gate.js'

export class ServerMetrics {
  readonly registry = new Registry()
  readonly httpRequests = new Counter({ name: 'edgeplane_http_requests_total', help: 'HTTP requests by method and status code', labelNames: ['method', 'code'], registers: [this.registry] })
  readonly httpDuration = new Histogram({ name: 'edgeplane_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] })
  readonly linksConnected = new Gauge({ name: 'edgeplane_links_connected', help: 'agent links currently connected', registers: [this.registry] })
  readonly storeRevision = new Gauge({ name: 'edgeplane_store_revision', help: 'current store revision', registers: [this.registry] })
  readonly linkBytes = new Gauge({ name: 'edgeplane_link_bytes', help: 'bytes on agent links since server start', labelNames: ['direction'], registers: [this.registry] })


  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'edgeplane_server_' })
  }

  /** The accept gate's counters (src/server/link/accept-gate.ts), read at scrape time. */
  exportAcceptGate(stats: () => AcceptGateStats): void {
    const reg = [this.registry]
    new Gauge({ name: 'edgeplane_accept_queue', help: 'accepted connections waiting for their turn at the accept gate', registers: reg, collect() { this.set(stats().queued) } })
    new Counter({ name: 'edgeplane_accept_closed_total', help: 'connections the accept gate closed because its queue was full', registers: reg, collect() { this.reset(); this.inc(stats().shed) } })
  }

  /** DNS counters are plain numbers on the hot path; they are copied here only at scrape time. */
  exportDns(stats: () => DnsStats | undefined): void {
    const counter = (name: string, help: string, read: (s: DnsStats) => [Record<string, string>, number][], labelNames: string[] = []) =>
      new Counter({
        name, help, labelNames, registers: [this.registry],
        collect() {
          const s = stats()
          if (!s) return
          this.reset()
          for (const [labels, n] of read(s)) this.inc(labels, n)
        },
      })
    counter('edgeplane_dns_queries_total', 'DNS messages received', (s) => [[{}, s.queries]])
    counter('edgeplane_dns_responses_total', 'DNS responses by rcode', (s) => Object.entries(s.responses).map(([rcode, n]) => [{ rcode }, n]), ['rcode'])
    counter('edgeplane_dns_dropped_total', 'DNS messages dropped, by reason', (s) => Object.entries(s.dropped).map(([reason, n]) => [{ reason }, n]), ['reason'])
    counter('edgeplane_dns_truncated_total', 'UDP answers truncated (TC)', (s) => [[{}, s.truncated]])
  }
}
