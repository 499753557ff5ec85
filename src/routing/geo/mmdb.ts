// A MaxMind-format (.mmdb) geo database, read into memory once at start so that lookups are
// synchronous and do no I/O. Understands country-only records (ip-location-db's `country_code`,
// MaxMind's `country.iso_code`) and city records with coordinates (MaxMind's `location.latitude`,
// ip-location-db's top-level `latitude`). Each distinct record is decoded once (bounded cache): a
// country database has ~250 of them, so lookups settle to a tree walk.
import { readFileSync } from 'node:fs'
import { Reader, type Response } from 'maxmind'
import type { GeoPoint } from '../types.js'
import { BoundedCache } from './bounded-cache.js'
import { formatIp, type IpAddress } from './ip.js'
import { MmdbSearchTree } from './mmdb-tree.js'

export interface MmdbHit {
  country?: string
  /** Present only when the record itself has coordinates (city databases). */
  point?: GeoPoint
  /** Prefix length of the database network that matched, in the address's family. */
  prefixLength: number
}

export interface MmdbInfo {
  path: string
  databaseType: string
  ipVersion: number
  buildEpoch: Date
}

export interface MmdbOptions {
  /** Decoded records kept; bounded so a city database cannot grow memory. */
  cacheSize?: number
}

type Place = Omit<MmdbHit, 'prefixLength'>

// Fields of the record shapes we understand; everything is optional and checked before use.
interface LooseRecord {
  country_code?: unknown
  country?: { iso_code?: unknown }
  registered_country?: { iso_code?: unknown }
  location?: { latitude?: unknown; longitude?: unknown }
  latitude?: unknown
  longitude?: unknown
}

export class MmdbGeoDatabase {
  private readonly places: BoundedCache<number, Place | null>

  private constructor(
    private readonly reader: Reader<Response>,
    private readonly tree: MmdbSearchTree,
    readonly info: MmdbInfo,
    cacheSize: number,
  ) {
    this.places = new BoundedCache(cacheSize)
  }

  /** Opens the file; throws with the path on a missing or invalid database. */
  static open(path: string, opts: MmdbOptions = {}): MmdbGeoDatabase {
    try {
      const buf = readFileSync(path)
      const reader = new Reader<Response>(buf)
      const m = reader.metadata
      const tree = new MmdbSearchTree(buf, m.nodeCount, m.recordSize, m.ipVersion)
      return new MmdbGeoDatabase(reader, tree, { path, databaseType: m.databaseType, ipVersion: m.ipVersion, buildEpoch: m.buildEpoch }, opts.cacheSize ?? 10_000)
    } catch (err) {
      throw new Error(`geo database ${path}: ${(err as Error).message}`)
    }
  }

  /** The record for the address, or undefined when the database has none usable. */
  lookup(ip: IpAddress): MmdbHit | undefined {
    // An IPv4-only tree cannot be walked with 128 bits.
    if (ip.family === 6 && this.info.ipVersion === 4) return undefined
    const match = this.tree.find(ip)
    if (!match) return undefined
    let place = this.places.get(match.pointer)
    if (place === undefined) {
      // Decoding goes through the Reader (same address, so the same record).
      place = toPlace(this.reader.get(formatIp(ip)))
      this.places.set(match.pointer, place)
    }
    if (!place) return undefined
    const hit: MmdbHit = { prefixLength: match.prefixLength }
    if (place.country) hit.country = place.country
    if (place.point) hit.point = place.point
    return hit
  }
}

function toPlace(record: Response | null): Place | null {
  if (!record) return null
  const r = record as LooseRecord
  // registered_country (where the network was registered) is a last resort: better than nothing
  // for routing, and the whois-based default database is registration data anyway.
  const country = isoCode(r.country?.iso_code) ?? isoCode(r.country_code) ?? isoCode(r.registered_country?.iso_code)
  const point = geoPoint(r.location?.latitude ?? r.latitude, r.location?.longitude ?? r.longitude)
  if (!country && !point) return null
  return { ...(country ? { country } : {}), ...(point ? { point } : {}) }
}

function isoCode(v: unknown): string | undefined {
  return typeof v === 'string' && /^[A-Za-z]{2}$/.test(v) ? v.toUpperCase() : undefined
}

function geoPoint(lat: unknown, lon: unknown): GeoPoint | undefined {
  if (typeof lat !== 'number' || typeof lon !== 'number') return undefined
  if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return undefined
  return Object.freeze({ lat, lon }) // shared by every lookup of the record
}
