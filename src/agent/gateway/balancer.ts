// Endpoint selection: least outstanding requests among ready, healthy endpoints below their
// in-flight limit; ties broken round robin (the scan starts one further each pick). Passive health:
// an endpoint that failed to connect or timed out sits out a cool-down. Keyed by address, so the
// same state serves instances and fallback gateways. Pure apart from the injected clock.
import type { Clock } from '../../lib/clock.js'
import type { GatewayEndpoint } from './types.js'

/** Why no endpoint was picked: none ready, all at their limit, or all cooling down after failures. */
export type Miss = 'none' | 'saturated' | 'failing'

interface EndpointState { inflight: number; failedUntil: number }

export class Balancer {
  private readonly states = new Map<string, EndpointState>()
  private readonly cursor = new Map<string, number>()

  constructor(
    private readonly clock: Clock,
    private readonly maxInflight: number,
    private readonly cooldownMs: number,
  ) {}

  /**
   * Picks an endpoint for host, skipping `exclude` (an address already tried). With `ignoreCooldown`
   * endpoints cooling down are candidates too (last resort when nothing else can serve).
   */
  pick(host: string, endpoints: readonly GatewayEndpoint[], exclude?: string, ignoreCooldown = false): GatewayEndpoint | Miss {
    const n = endpoints.length
    if (n === 0) return 'none'
    const start = this.cursor.get(host) ?? 0
    this.cursor.set(host, start + 1 >= n ? 0 : start + 1)
    const now = this.clock.now()
    let best: GatewayEndpoint | undefined
    let bestInflight = Infinity
    let ready = 0
    let saturated = 0
    for (let i = 0; i < n; i++) {
      const e = endpoints[(start + i) % n]
      if (!e.ready || e.address === exclude) continue
      ready++
      const st = this.states.get(e.address)
      const inflight = st ? st.inflight : 0
      if (st && st.failedUntil > now && !ignoreCooldown) continue
      if (inflight >= this.maxInflight) { saturated++; continue }
      if (inflight < bestInflight) { best = e; bestInflight = inflight }
    }
    if (best) return best
    if (ready === 0) return 'none'
    return saturated > 0 ? 'saturated' : 'failing'
  }

  acquire(address: string): void { this.state(address).inflight++ }

  release(address: string): void {
    const st = this.states.get(address)
    if (st && st.inflight > 0) st.inflight--
  }

  inflight(address: string): number { return this.states.get(address)?.inflight ?? 0 }

  /** Passive health: a connection error or timeout takes the address out for the cool-down. */
  markFailed(address: string): void { this.state(address).failedUntil = this.clock.now() + this.cooldownMs }

  markHealthy(address: string): void {
    const st = this.states.get(address)
    if (st) st.failedUntil = 0
  }

  isCooling(address: string): boolean { return (this.states.get(address)?.failedUntil ?? 0) > this.clock.now() }

  /** Forgets idle, healthy addresses (instances come and go with new ports). */
  prune(): void {
    const now = this.clock.now()
    for (const [a, st] of this.states) if (st.inflight === 0 && st.failedUntil <= now) this.states.delete(a)
    this.cursor.clear()
  }

  private state(address: string): EndpointState {
    let st = this.states.get(address)
    if (!st) {
      st = { inflight: 0, failedUntil: 0 }
      this.states.set(address, st)
    }
    return st
  }
}
