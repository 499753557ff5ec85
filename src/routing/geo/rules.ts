// Operator geo rules (`--geo-rules FILE`): a YAML list of {cidr, lat, lon, region?, country?} that
// places networks the database does not know or gets wrong (private ranges, test ranges, an ISP's
// regional blocks). Validated strictly at load, because a typo here silently misroutes traffic:
// every problem is reported with its entry index and field, and the file is rejected whole.
import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import { formatCidr, parseCidr, type Cidr, type IpAddress } from './ip.js'
import { PrefixTrie } from './prefix-trie.js'
import type { GeoPoint } from '../types.js'

export interface GeoRule {
  /** Canonical network text, e.g. "198.51.100.0/24" (an IPv4-mapped CIDR is shown as IPv4). */
  cidr: string
  network: Cidr
  lat: number
  lon: number
  /** The same coordinates as a shared, frozen point (handed out by every match). */
  point: GeoPoint
  region?: string
  country?: string
}

const FIELDS = ['cidr', 'lat', 'lon', 'region', 'country'] as const
const MAX_REPORTED = 20

/** Parses and validates rules text; throws an Error listing every problem found. */
export function parseGeoRules(text: string, origin = 'geo rules'): GeoRule[] {
  const doc = parseDocument(text)
  if (doc.errors.length) throw new Error(`${origin}: invalid YAML: ${doc.errors[0].message}`)
  const data: unknown = doc.toJS()
  if (!Array.isArray(data)) {
    throw new Error(`${origin}: expected a YAML list of rules, e.g. "- {cidr: 198.51.100.0/24, lat: 48.86, lon: 2.35}"`)
  }
  const errors: string[] = []
  const rules: GeoRule[] = []
  const seen = new Map<string, number>()
  data.forEach((entry: unknown, i) => {
    const rule = validateEntry(entry, `rules[${i}]`, errors)
    if (!rule) return
    const earlier = seen.get(rule.cidr)
    if (earlier !== undefined) errors.push(`rules[${i}].cidr: ${rule.cidr} is already placed by rules[${earlier}]`)
    else seen.set(rule.cidr, i)
    rules.push(rule)
  })
  if (errors.length === 1) throw new Error(`${origin}: ${errors[0]}`)
  if (errors.length) {
    const shown = errors.slice(0, MAX_REPORTED).map((e) => `  ${e}`)
    if (errors.length > MAX_REPORTED) shown.push(`  … and ${errors.length - MAX_REPORTED} more`)
    throw new Error(`${origin}: ${errors.length} errors:\n${shown.join('\n')}`)
  }
  return rules
}

/** Reads and validates a rules file (synchronously: done once at start). */
export function loadGeoRulesFile(path: string): GeoRule[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`geo rules ${path}: ${(err as Error).message}`)
  }
  return parseGeoRules(text, `geo rules ${path}`)
}

/** Longest-prefix lookup over validated rules. */
export class GeoRuleTable {
  private trie = new PrefixTrie<GeoRule>()

  constructor(rules: readonly GeoRule[]) {
    for (const r of rules) {
      if (this.trie.insert(r.network, r)) throw new Error(`geo rules: ${r.cidr} is placed twice`)
    }
  }

  get size(): number {
    return this.trie.size
  }

  match(ip: IpAddress): GeoRule | undefined {
    return this.trie.match(ip)
  }
}

function validateEntry(entry: unknown, at: string, errors: string[]): GeoRule | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    errors.push(`${at}: expected a mapping with cidr, lat and lon`)
    return undefined
  }
  const e = entry as Record<string, unknown>
  const before = errors.length
  for (const key of Object.keys(e)) {
    if (!(FIELDS as readonly string[]).includes(key)) errors.push(`${at}.${key}: unknown field (allowed: ${FIELDS.join(', ')})`)
  }
  let network: Cidr | undefined
  if (e.cidr === undefined) errors.push(`${at}.cidr: required`)
  else {
    try {
      network = parseCidr(e.cidr as string)
    } catch (err) {
      errors.push(`${at}.cidr: ${(err as Error).message}`)
    }
  }
  const lat = coordinate(e.lat, 90, `${at}.lat`, errors)
  const lon = coordinate(e.lon, 180, `${at}.lon`, errors)
  const region = optionalString(e.region, `${at}.region`, /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a name of 1-63 letters, digits, ".", "_" or "-"', errors)
  const country = optionalString(e.country, `${at}.country`, /^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 code like "FR"', errors)
  if (errors.length > before || !network || lat === undefined || lon === undefined) return undefined
  return {
    cidr: formatCidr(network),
    network,
    lat,
    lon,
    point: Object.freeze({ lat, lon }),
    ...(region !== undefined ? { region } : {}),
    ...(country !== undefined ? { country: country.toUpperCase() } : {}),
  }
}

function coordinate(v: unknown, limit: number, at: string, errors: string[]): number | undefined {
  if (v === undefined) errors.push(`${at}: required`)
  else if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${at}: ${typeof v === 'number' ? v : JSON.stringify(v)} is not a number`)
  else if (v < -limit || v > limit) errors.push(`${at}: ${v} is out of range -${limit}..${limit}`)
  else return v
  return undefined
}

function optionalString(v: unknown, at: string, shape: RegExp, what: string, errors: string[]): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !shape.test(v)) {
    errors.push(`${at}: ${JSON.stringify(v)} is not ${what}`)
    return undefined
  }
  return v
}
