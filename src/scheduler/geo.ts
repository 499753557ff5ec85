// Geometry for distance to demand. Points become unit vectors once, so "which site is nearest" is
// a dot product and a closeness score needs no trigonometry per pair. Demand is sorted and merged
// first (so the plan does not depend on its order) and coarsened to at most MAX_POINTS weighted
// centroids on a lat/lon grid, which bounds the work per call at O(sites × MAX_POINTS).
import type { DemandPoint, GeoPoint } from './types.js'

export const EARTH_KM = 6371
/** A site this far from a demand point scores half of one right on it. */
export const HALF_SCORE_KM = 500
export const MAX_POINTS = 32

export interface Vec { x: number; y: number; z: number }

export function toVec(p: GeoPoint): Vec {
  const rad = Math.PI / 180
  const lat = p.lat * rad
  const lon = p.lon * rad
  return { x: Math.cos(lat) * Math.cos(lon), y: Math.cos(lat) * Math.sin(lon), z: Math.sin(lat) }
}

export interface Demand {
  points: { vec: Vec; weight: number }[]
  /** The same points as flat arrays, for the per-site loops. */
  x: Float64Array
  y: Float64Array
  z: Float64Array
  w: Float64Array
  total: number
}

/** Valid points (finite coordinates, weight > 0) sorted and coarsened; undefined when there is no demand. */
export function prepareDemand(input: readonly DemandPoint[] | undefined): Demand | undefined {
  const pts = (input ?? []).filter((d) => d.weight > 0 && Number.isFinite(d.weight) && Number.isFinite(d.point?.lat) && Number.isFinite(d.point?.lon))
    .map((d) => ({ lat: clamp(d.point.lat, -90, 90), lon: clamp(d.point.lon, -180, 180), weight: d.weight }))
    .sort((a, b) => a.lat - b.lat || a.lon - b.lon || a.weight - b.weight)
  if (!pts.length) return undefined
  let cells = merge(pts, 0)
  for (let size = 0.5; cells.length > MAX_POINTS; size *= 2) cells = merge(pts, size)
  const total = cells.reduce((s, c) => s + c.weight, 0)
  return {
    points: cells,
    x: Float64Array.from(cells, (c) => c.vec.x), y: Float64Array.from(cells, (c) => c.vec.y),
    z: Float64Array.from(cells, (c) => c.vec.z), w: Float64Array.from(cells, (c) => c.weight),
    total,
  }
}

/** Points merged per grid cell of `size` degrees (0: identical points only), as weighted centroids, in cell order. */
function merge(pts: readonly { lat: number; lon: number; weight: number }[], size: number): { vec: Vec; weight: number }[] {
  const cells = new Map<string, { x: number; y: number; z: number; weight: number }>()
  for (const p of pts) {
    const key = size ? `${Math.floor(p.lat / size)},${Math.floor(p.lon / size)}` : `${p.lat},${p.lon}`
    const v = toVec(p)
    const c = cells.get(key)
    if (c) { c.x += v.x * p.weight; c.y += v.y * p.weight; c.z += v.z * p.weight; c.weight += p.weight }
    else cells.set(key, { x: v.x * p.weight, y: v.y * p.weight, z: v.z * p.weight, weight: p.weight })
  }
  return [...cells.values()].map((c) => {
    const len = Math.hypot(c.x, c.y, c.z) || 1
    return { vec: { x: c.x / len, y: c.y / len, z: c.z / len }, weight: c.weight }
  })
}

/**
 * Demand-weighted closeness of a site in [0, 1]: 1 when all demand is on it. Distances are
 * straight-line (chord) ones: they grow with the great-circle distance and are within 1% of it
 * below 1,500 km, which is all a score needs.
 */
export function closeness(d: Demand, v: Vec): number {
  let s = 0
  const { x, y, z, w } = d
  for (let i = 0; i < w.length; i++) {
    const dx = x[i] - v.x, dy = y[i] - v.y, dz = z[i] - v.z
    s += w[i] / (1 + (EARTH_KM * Math.sqrt(dx * dx + dy * dy + dz * dz)) / HALF_SCORE_KM)
  }
  return s / d.total
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x
}
