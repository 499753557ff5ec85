// Prometheus metrics of one server (its own registry, so several servers can share a process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export class ServerMetrics {
  readonly registry = new Registry()
  readonly httpRequests = new Counter({ name: 'edgeplane_http_requests_total', help: 'HTTP requests by method and status code', labelNames: ['method', 'code'], registers: [this.registry] })
  readonly httpDuration = new Histogram({ name: 'edgeplane_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [this.registry] })
  readonly linksConnected = new Gauge({ name: 'edgeplane_links_connected', help: 'agent links currently connected', registers: [this.registry] })
  readonly storeRevision = new Gauge({ name: 'edgeplane_store_revision', help: 'current store revision', registers: [this.registry] })
  readonly linkBytes = new Gauge({ name: 'edgeplane_link_bytes', help: 'bytes on agent links since server start', labelNames: ['direction'], registers: [this.registry] })

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'edgeplane_server_' })
  }
}
