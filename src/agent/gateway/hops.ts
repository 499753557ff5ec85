// Overflow between site gateways, loop-safe: every forward carries x-edgeplane-hops N+1 and appends
// the forwarding site to x-edgeplane-overflow-from. A request that arrived with hops >= maxHops is
// never forwarded again, and no request is forwarded to a site it already passed through.

export const HOPS_HEADER = 'x-edgeplane-hops'
export const OVERFLOW_FROM_HEADER = 'x-edgeplane-overflow-from'
export const SITE_HEADER = 'x-edgeplane-site'

/** The hop count a request arrived with; absent or malformed counts as 0. */
export function parseHops(value: string | undefined): number {
  if (!value) return 0
  const n = Number(value.trim())
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : 0
}

/** Sites named in x-edgeplane-overflow-from (comma separated). */
export function parseChain(value: string | undefined): string[] {
  if (!value) return []
  return value.split(',').map((s) => s.trim()).filter(Boolean)
}

export interface Fallback { site: string; gateway: string }

/**
 * The fallbacks a request may be forwarded to, best first, or 'hop-limit' when it may not be
 * forwarded at all. Excludes this site and every site the request already passed through.
 */
export function overflowTargets(fallbacks: readonly Fallback[], o: { site: string; hops: number; maxHops: number; chain: readonly string[] }): Fallback[] | 'hop-limit' {
  if (o.hops >= o.maxHops) return 'hop-limit'
  return fallbacks.filter((f) => f.site !== o.site && !o.chain.includes(f.site))
}

/** Header values for the next hop. */
export function nextHop(hops: number, chainHeader: string | undefined, site: string): { hops: string; from: string } {
  return { hops: String(hops + 1), from: chainHeader ? `${chainHeader}, ${site}` : site }
}
