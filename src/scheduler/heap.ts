// A small binary heap. The scheduler picks "the least loaded domain" once per replica, so a linear
// scan over thousands of sites per replica would be quadratic; the heap keeps each pick logarithmic.

export class Heap<T> {
  private items: T[] = []

  /** `first(a, b)` is true when a must come out before b; it must be a strict total order for determinism. */
  constructor(private readonly first: (a: T, b: T) => boolean, init: Iterable<T> = []) {
    // Bottom-up heapify: O(n) rather than n pushes, for heaps built over every site of a fleet.
    this.items = [...init]
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i)
  }

  get size(): number { return this.items.length }

  peek(): T | undefined { return this.items[0] }

  push(x: T): void {
    const a = this.items
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.first(a[i], a[p])) break
      const t = a[i]; a[i] = a[p]; a[p] = t
      i = p
    }
  }

  pop(): T | undefined {
    const a = this.items
    if (!a.length) return undefined
    const top = a[0]
    const last = a.pop()!
    if (a.length) {
      a[0] = last
      this.down(0)
    }
    return top
  }

  private down(i: number): void {
    const a = this.items
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && this.first(a[l], a[m])) m = l
      if (r < a.length && this.first(a[r], a[m])) m = r
      if (m === i) return
      const t = a[i]; a[i] = a[m]; a[m] = t
      i = m
    }
  }
}

/** Plain code-unit string order: locale-independent, so plans do not depend on the host's locale. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
