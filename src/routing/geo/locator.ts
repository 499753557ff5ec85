// Where a client IP is: operator rules first, then the geo database, else unknown. Everything is
// loaded at construction; locate() is synchronous, does no I/O, keeps no per-client state and never
// throws (a bad address or a database fault is just an unknown location).
import { createRequire } from 'node:module'
import type { ClientLocation, GeoLocator } from '../types.js'
import { COUNTRY_POINTS, type CountryPoints } from './country-points.js'
import { formatIp, parseIp, type IpAddress } from './ip.js'
import { MmdbGeoDatabase, type MmdbHit, type MmdbInfo } from './mmdb.js'
import { GeoRuleTable, loadGeoRulesFile, type GeoRule } from './rules.js'
import { nonPublicRange } from './special-ranges.js'

export interface GeoLocatorOptions {
  /** YAML rules file (`--geo-rules`); validated now, errors thrown. */
  rulesFile?: string
  /** Already-validated rules, used in addition to rulesFile's (tests, embedding). */
  rules?: readonly GeoRule[]
  /** .mmdb file, country or city; default the bundled CC0 country database; null for none. */
  mmdbFile?: string | null
  /** Country → point for country-only answers; default the built-in table. */
  countryPoints?: CountryPoints
}

export interface GeoLocatorInfo {
  rules: number
  database?: MmdbInfo
}

// A database network is valid for its whole prefix, but an ECS scope must not claim more precision
// than resolvers send (RFC 7871 recommends /24 and /56), so database answers are capped there.
const MAX_DB_PREFIX = { 4: 24, 6: 56 } as const

/** The bundled country database, resolved from the installed package. */
export function defaultMmdbFile(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb')
}

export function createGeoLocator(opts: GeoLocatorOptions = {}): GeoLocator & { readonly info: GeoLocatorInfo } {
  const rules = new GeoRuleTable([...(opts.rules ?? []), ...(opts.rulesFile ? loadGeoRulesFile(opts.rulesFile) : [])])
  const mmdbFile = opts.mmdbFile === undefined ? defaultMmdbFile() : opts.mmdbFile
  const db = mmdbFile ? MmdbGeoDatabase.open(mmdbFile) : undefined
  const points = opts.countryPoints ?? COUNTRY_POINTS
  const info: GeoLocatorInfo = { rules: rules.size, ...(db ? { database: db.info } : {}) }

  // Results are built by assignment, not object spread: spread is several times slower here, and
  // this runs on every DNS query.
  function fromDatabase(ip: IpAddress, text: string): ClientLocation | undefined {
    let hit: MmdbHit | undefined
    try {
      hit = db?.lookup(ip)
    } catch {
      return undefined // a corrupt record must not fail the query; the client is just unknown
    }
    if (!hit) return undefined
    const loc: ClientLocation = { ip: text, source: 'database', prefixLength: Math.min(hit.prefixLength, MAX_DB_PREFIX[ip.family]) }
    if (hit.country) loc.country = hit.country
    const point = hit.point ?? (hit.country ? points[hit.country] : undefined)
    if (point) loc.point = point
    return loc
  }

  function fromRule(rule: GeoRule, text: string): ClientLocation {
    const loc: ClientLocation = { ip: text, source: 'rule', prefixLength: rule.network.prefix, point: rule.point }
    if (rule.region !== undefined) loc.region = rule.region
    if (rule.country !== undefined) loc.country = rule.country
    return loc
  }

  return {
    info,
    locate(input: string): ClientLocation {
      const ip = parseIp(input)
      if (!ip) return { ip: String(input), source: 'unknown', prefixLength: 0 }
      const text = formatIp(ip)
      const rule = rules.match(ip)
      if (rule) return fromRule(rule, text)
      if (nonPublicRange(ip) === undefined) {
        const located = fromDatabase(ip, text)
        if (located) return located
      }
      return { ip: text, source: 'unknown', prefixLength: 0 }
    },
  }
}
