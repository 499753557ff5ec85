// Seeded randomness: the same seed gives the same sequence, so a simulated world (sites, places,
// providers, faulty sites), a property test or a benchmark fleet can be replayed from its seed.

/** A small fast PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A 32-bit seed from a number or any string (FNV-1a). */
export function seedOf(seed: string | number): number {
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed >>> 0
  let h = 0x811c9dc5
  for (const ch of String(seed)) {
    h ^= ch.codePointAt(0)!
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function rngFor(seed: string | number, stream = ''): () => number {
  return mulberry32(seedOf(`${seed}/${stream}`))
}

/** Picks by weight. */
export function weighted<T>(items: readonly T[], weight: (t: T) => number, random: () => number): T {
  let total = 0
  for (const i of items) total += weight(i)
  let r = random() * total
  for (const i of items) {
    r -= weight(i)
    if (r < 0) return i
  }
  return items[items.length - 1]
}

/** A deterministic sample of k distinct items (partial Fisher–Yates on a copy). */
export function sample<T>(items: readonly T[], k: number, random: () => number): T[] {
  const a = items.slice()
  const n = Math.min(k, a.length)
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (a.length - i))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a.slice(0, n)
}
