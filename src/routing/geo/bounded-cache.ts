// A size-capped map for decoded database records (a city database has millions). Evicts the oldest
// insertion: cheaper than LRU bookkeeping, and a hot record evicted is simply decoded again.
export class BoundedCache<K, V> {
  private map = new Map<K, V>()

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    return this.map.get(key)
  }

  set(key: K, value: V): void {
    if (this.map.size >= this.max && !this.map.has(key)) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
    this.map.set(key, value)
  }

  get size(): number {
    return this.map.size
  }
}
