// Concurrent connections per client IP. Counts are kept only while connections are open.

export class ConnectionCounter {
  private readonly counts = new Map<string, number>()

  constructor(private readonly max: number) {}

  /** Counts one more connection for ip; returns false when it is beyond the cap (it still counts). */
  open(ip: string): boolean {
    const n = (this.counts.get(ip) ?? 0) + 1
    this.counts.set(ip, n)
    return this.max <= 0 || n <= this.max
  }

  close(ip: string): void {
    const n = (this.counts.get(ip) ?? 0) - 1
    if (n > 0) this.counts.set(ip, n)
    else this.counts.delete(ip)
  }

  count(ip: string): number { return this.counts.get(ip) ?? 0 }

  get size(): number { return this.counts.size }
}
