// The built-in country → representative point table (see the JSON's header and
// scripts/gen-country-points.ts for how the points were chosen and where they come from).
// Imported as a module so the build copies the data next to the compiled code.
import data from './country-points.json' with { type: 'json' }
import type { GeoPoint } from '../types.js'

export type CountryPoints = Readonly<Record<string, GeoPoint>>

/** ISO 3166-1 alpha-2 code (upper case) → point. Frozen: locations hand these out by reference. */
export const COUNTRY_POINTS: CountryPoints = Object.freeze(
  Object.fromEntries(
    Object.entries(data.points as Record<string, { lat: number; lon: number }>).map(([code, p]) => [code, Object.freeze({ lat: p.lat, lon: p.lon })]),
  ),
)
