// Keep-alive connection pools to upstreams (instances and fallback gateways), one undici Pool per
// address, created on first use and closed once unused for a while (instances come and go).
import { Pool } from 'undici'

export interface PoolOptions {
  connections: number
  connectTimeoutMs: number
  upstreamTimeoutMs: number
  keepAliveMs: number
}

export class UpstreamPools {
  private readonly pools = new Map<string, { pool: Pool; used: number }>()
  private tick = 0

  constructor(private readonly o: PoolOptions) {}

  get(address: string): Pool {
    let e = this.pools.get(address)
    if (!e) {
      e = { pool: this.create(address), used: 0 }
      this.pools.set(address, e)
    }
    e.used = this.tick
    return e.pool
  }

  /** Called periodically: closes (gracefully) the pools not used since the previous call. */
  sweep(): void {
    for (const [a, e] of this.pools) {
      if (e.used >= this.tick) continue
      this.pools.delete(a)
      void e.pool.close().catch(() => {})
    }
    this.tick++
  }

  get size(): number { return this.pools.size }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})))
  }

  private create(address: string): Pool {
    return new Pool(`http://${address}`, {
      connections: this.o.connections,
      pipelining: 1,
      connect: { timeout: this.o.connectTimeoutMs },
      headersTimeout: this.o.upstreamTimeoutMs,
      bodyTimeout: this.o.upstreamTimeoutMs,
      keepAliveTimeout: this.o.keepAliveMs,
      keepAliveMaxTimeout: this.o.keepAliveMs,
    })
  }
}
