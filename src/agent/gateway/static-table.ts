// A GatewayTable held in a Map: what tests and the bench use, and a simple base for the agent's
// table (which the agent keeps current from the server's routes and its instances' readiness).
import { normalizeHost } from './host.js'
import type { GatewayRoute, GatewayTable } from './types.js'

export class StaticGatewayTable implements GatewayTable {
  private readonly routes = new Map<string, GatewayRoute>()

  constructor(routes: GatewayRoute[] = []) {
    for (const r of routes) this.set(r)
  }

  lookup(host: string): GatewayRoute | undefined { return this.routes.get(host) }

  size(): number { return this.routes.size }

  /** Adds or replaces the route for r.host (stored under its normalized form). */
  set(r: GatewayRoute): void { this.routes.set(normalizeHost(r.host), r) }

  delete(host: string): void { this.routes.delete(normalizeHost(host)) }
}
