// Hands out host ports for instances. Freeness is checked by really binding, because other
// software on the machine (or a workload that outlived an agent) may hold ports we never gave out.
import { createServer } from 'node:net'

export interface PortAllocatorOptions {
  /** The address instances bind to (each site may have its own loopback address in tests). */
  host: string
  min?: number
  max?: number
}

export class PortAllocator {
  readonly host: string
  readonly min: number
  readonly max: number
  private readonly held = new Set<number>()
  /** Round-robin start: a just-released port is reused last, so a late client of the old instance is not confused. */
  private next: number

  constructor(opts: PortAllocatorOptions) {
    this.host = opts.host
    this.min = opts.min ?? 30000
    this.max = opts.max ?? 32767
    if (!(Number.isInteger(this.min) && Number.isInteger(this.max) && this.min >= 1 && this.max <= 65535 && this.min <= this.max)) {
      throw new Error(`invalid port range ${this.min}-${this.max}`)
    }
    this.next = this.min
  }

  /** A port free on host and not handed out before (until released). */
  async allocate(): Promise<number> {
    const span = this.max - this.min + 1
    for (let i = 0; i < span; i++) {
      const port = this.next
      this.next = port === this.max ? this.min : port + 1
      if (this.held.has(port)) continue
      this.held.add(port) // claimed before the async check so concurrent calls never pick it too
      if (await canBind(this.host, port)) return port
      this.held.delete(port)
    }
    throw new Error(`no free TCP port on ${this.host} in ${this.min}-${this.max} (${this.held.size} handed out)`)
  }

  release(port: number): void {
    this.held.delete(port)
  }

  /** Marks a port as taken without checking: a re-adopted instance already listens on it. */
  reserve(port: number): void {
    this.held.add(port)
  }

  isHeld(port: number): boolean {
    return this.held.has(port)
  }
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}
