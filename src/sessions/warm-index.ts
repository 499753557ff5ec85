// The sites of one app whose pool has a free ready slot, with their positions in one flat array,
// and the nearest of them that is usable now. A scan is three multiplications a site (about 2 µs
// for 1,000 sites here), where walking a set with a map look-up per site took 40 µs: this runs on
// every allocation.
import type { UnitVector } from './nearest.js'

export class WarmIndex {
  private names: string[] = []
  private at = new Map<string, number>()
  private xyz = new Float64Array(3 * 64)
  /** Per entry: 1 when its position is known. */
  private located = new Uint8Array(64)
  /** Per entry: 1 when the site is usable now (as of the last refresh or add). */
  private usable = new Uint8Array(64)

  get size(): number { return this.names.length }

  has(site: string): boolean { return this.at.has(site) }

  /** `pos`: undefined when the site is not usable now, null when usable without a known position. */
  add(site: string, pos: UnitVector | null | undefined): void {
    if (this.at.has(site)) return
    const i = this.names.length
    if (i === this.usable.length) this.grow()
    this.names.push(site)
    this.at.set(site, i)
    this.set(i, pos)
  }

  delete(site: string): void {
    const i = this.at.get(site)
    if (i === undefined) return
    const last = this.names.length - 1
    if (i !== last) {
      // The last entry takes the freed place.
      const moved = this.names[last]
      this.names[i] = moved
      this.at.set(moved, i)
      this.xyz.copyWithin(3 * i, 3 * last, 3 * last + 3)
      this.located[i] = this.located[last]
      this.usable[i] = this.usable[last]
    }
    this.names.pop()
    this.at.delete(site)
  }

  /** Usability and positions anew, from the usable sites (site → position, null when unknown). */
  refresh(usable: ReadonlyMap<string, UnitVector | null>): void {
    for (let i = 0; i < this.names.length; i++) this.set(i, usable.get(this.names[i]))
  }

  /** The nearest usable site to `here` (by closeness), ties by name; unknown positions last. */
  nearest(here: UnitVector | undefined): string | undefined {
    let best = -1
    let bestC = -Infinity
    const [x, y, z] = here ?? [0, 0, 0]
    for (let i = 0; i < this.names.length; i++) {
      if (!this.usable[i]) continue
      const c = here && this.located[i] ? x * this.xyz[3 * i] + y * this.xyz[3 * i + 1] + z * this.xyz[3 * i + 2] : -Infinity
      if (best < 0 || c > bestC || (c === bestC && this.names[i] < this.names[best])) { best = i; bestC = c }
    }
    return best < 0 ? undefined : this.names[best]
  }

  /** The usable located sites whose closeness to `here` is at least `min` (the nearer ones), unordered. */
  within(here: UnitVector, min: number): string[] {
    const out: string[] = []
    const [x, y, z] = here
    for (let i = 0; i < this.names.length; i++) {
      if (!this.usable[i] || !this.located[i]) continue
      if (x * this.xyz[3 * i] + y * this.xyz[3 * i + 1] + z * this.xyz[3 * i + 2] >= min) out.push(this.names[i])
    }
    return out
  }

  private set(i: number, pos: UnitVector | null | undefined): void {
    this.usable[i] = pos === undefined ? 0 : 1
    this.located[i] = pos ? 1 : 0
    if (pos) { this.xyz[3 * i] = pos[0]; this.xyz[3 * i + 1] = pos[1]; this.xyz[3 * i + 2] = pos[2] }
  }

  private grow(): void {
    const n = this.usable.length * 2
    const xyz = new Float64Array(3 * n); xyz.set(this.xyz); this.xyz = xyz
    const located = new Uint8Array(n); located.set(this.located); this.located = located
    const usable = new Uint8Array(n); usable.set(this.usable); this.usable = usable
  }
}
