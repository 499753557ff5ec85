// Prometheus /metrics of an agent (principle 10), on its own small listener (`--metrics-listen`,
// loopback by default: it says nothing secret, but nothing beyond the node needs to read it).
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { InstanceReport } from '../api/link.js'
import type { GatewayCounters } from './gateway/context.js'

export interface AgentMetricsSource {
  reports: () => InstanceReport[]
  linkUp: () => boolean
  desiredVersion: () => number
  gateway?: () => GatewayCounters
}

export function agentRegistry(src: AgentMetricsSource): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'edgeplane_agent_' })
  new Gauge({
    name: 'edgeplane_agent_instances', help: 'instances on this node by phase and readiness', labelNames: ['phase', 'ready'], registers: [registry],
    collect() {
      this.reset()
      for (const r of src.reports()) this.inc({ phase: r.phase, ready: String(r.ready) })
    },
  })
  new Gauge({
    name: 'edgeplane_agent_instance_restarts', help: 'restarts of the instances on this node (sum)', registers: [registry],
    collect() { this.set(src.reports().reduce((s, r) => s + r.restarts, 0)) },
  })
  new Gauge({ name: 'edgeplane_agent_link_up', help: '1 while the link to the server is up', registers: [registry], collect() { this.set(src.linkUp() ? 1 : 0) } })
  new Gauge({ name: 'edgeplane_agent_desired_version', help: 'version of the desired document applied', registers: [registry], collect() { this.set(src.desiredVersion()) } })
  if (src.gateway) {
    const g = src.gateway
    const counter = (name: string, help: string, read: (c: GatewayCounters) => [Record<string, string>, number][], labelNames: string[] = []) =>
      new Counter({ name, help, labelNames, registers: [registry], collect() { this.reset(); for (const [l, n] of read(g())) this.inc(l, n) } })
    counter('edgeplane_gateway_requests_total', 'requests the site gateway received', (c) => [[{}, c.requests]])
    counter('edgeplane_gateway_overflowed_total', 'requests forwarded to another site', (c) => [[{}, c.overflowed]])
    counter('edgeplane_gateway_errors_total', 'requests answered with an error by the gateway or an instance', (c) => [[{}, c.errors]])
    counter('edgeplane_gateway_rejected_total', 'requests refused by L7 protection, by limit', (c) => Object.entries(c.rejected).map(([limit, n]) => [{ limit }, n]), ['limit'])
  }
  return registry
}

export async function serveMetrics(registry: Registry, listen: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') { res.writeHead(404).end('try /metrics\n'); return }
    registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text), () => res.writeHead(500).end())
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(listen.port, listen.host, () => resolve()) })
  return server
}
