// A small binary heap. The scheduler picks "the least loaded domain" once per replica, so a linear
// scan over thousands of sites per replica would be quadratic; the heap keeps each pick logarithmic.

export class Heap<T> {
  private items: T[] = []

  /** `first(a, b)` is true when a must come out before b; it must be a strict total order for determinism. */
  constructor(private readonly first: (a: T, b: T) => boolean, init: Iterable<T> = []) {
    for (const x of init) this.push(x)
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
      ;[a[i], a[p]] = [a[p], a[i]]
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
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.first(a[l], a[m])) m = l
        if (r < a.length && this.first(a[r], a[m])) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m], a[i]]
        i = m
      }
    }
    return top
  }
}

/** Plain code-unit string order: locale-independent, so plans do not depend on the host's locale. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
