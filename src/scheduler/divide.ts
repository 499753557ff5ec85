// Dividing a number of replicas among sites (or groups) in proportion to weights, each capped at
// what it can hold: water-filling (items whose proportional share exceeds their cap get their cap,
// and the rest is divided again among the others), then whole replicas by largest remainder.
// Equal remainders go to the item `prefer` puts first (default: the earlier index).

export interface Shares {
  /** Fractional shares, each ≤ its cap. */
  share: Float64Array
  /** Whole replicas, each ≤ its cap; they sum to min(floor(total), Σ caps of positive-weight items). */
  target: Float64Array
}

export function divide(total: number, weights: ArrayLike<number>, caps: ArrayLike<number>, prefer?: (a: number, b: number) => number): Shares {
  const n = weights.length
  const share = new Float64Array(n)
  const target = new Float64Array(n)
  const live: number[] = []
  for (let i = 0; i < n; i++) if (weights[i] > 0 && caps[i] > 0) live.push(i)
  if (!live.length || total <= 0) return { share, target }
  let rest = total
  let weight = 0
  for (const i of live) weight += weights[i]
  // The items that fill up first are those with the least room per unit of weight. Sorting them
  // is only needed when some item's plain proportional share reaches its cap.
  if (live.some((i) => (total * weights[i]) / weight >= caps[i])) live.sort((a, b) => caps[a] / weights[a] - caps[b] / weights[b] || a - b)
  let k = 0
  for (; k < live.length; k++) {
    const i = live[k]
    if ((rest * weights[i]) / weight < caps[i]) break
    share[i] = caps[i]
    rest -= caps[i]
    weight -= weights[i]
  }
  for (let j = k; j < live.length; j++) share[live[j]] = (rest * weights[live[j]]) / weight

  let capSum = 0
  for (const i of live) capSum += caps[i]
  let left = Math.min(Math.floor(total), capSum)
  for (const i of live) {
    target[i] = Math.min(caps[i], Math.floor(share[i] + 1e-9))
    left -= target[i]
  }
  if (left <= 0) return { share, target }
  // Largest remainder first. Caps may stop some of the first `left`: then the rest of the first
  // round goes on in the same order (each item at most one more), then further rounds.
  const rem = (i: number) => share[i] - target[i]
  const first = (a: number, b: number) => rem(b) - rem(a) || (prefer ? prefer(a, b) : 0) || a - b
  const given = new Set<number>()
  const give = (order: readonly number[], skip?: ReadonlySet<number>) => {
    let gave = false
    for (const i of order) {
      if (left <= 0) break
      if (skip?.has(i) || target[i] >= caps[i]) continue
      target[i]++
      left--
      gave = true
      given.add(i)
    }
    return gave
  }
  give(topK(live, left, rem, first))
  if (left > 0) {
    const all = [...live].sort(first)
    give(all, new Set(given))
    while (left > 0 && give(all));
  }
  return { share, target }
}

/**
 * The k first items of `xs` by `cmp`, in order, where `cmp` orders by `key` descending first (k is
 * the few replicas left to round; 10,000 sites need not all be sorted). Small k: one pass keeping
 * the best k. Larger k: a native numeric sort of the keys finds the k-th one, and only the items
 * at or above it are sorted with `cmp`.
 */
function topK(xs: readonly number[], k: number, key: (i: number) => number, cmp: (a: number, b: number) => number): number[] {
  if (k * 4 >= xs.length) return [...xs].sort(cmp).slice(0, k)
  if (k <= 32) {
    const top: number[] = []
    for (const x of xs) {
      if (top.length === k && cmp(x, top[k - 1]) >= 0) continue
      let at = top.length
      while (at > 0 && cmp(x, top[at - 1]) < 0) at--
      top.splice(at, 0, x)
      if (top.length > k) top.pop()
    }
    return top
  }
  const keys = Float64Array.from(xs, key).sort()
  const kth = keys[keys.length - k]
  return xs.filter((i) => key(i) >= kth).sort(cmp).slice(0, k)
}
