// The distribution tree, pure: which registry each site's cache proxies. A central site's cache
// proxies the central registry; an edge site's cache proxies the nearest central site that runs a
// healthy cache (the tier between center and edge), or the central registry when none does. So the
// center sends an image once per central cache, and each central cache once per edge site below it.
import type { Site } from '../../api/kinds/index.js'
import { distanceKm } from '../../routing/policy.js'

export interface TreeSite {
  name: string
  tier: Site['spec']['tier']
  geo?: { lat: number; lon: number }
  /** host:port of the site's healthy cache, if it has one. */
  cache?: string
}

export interface Parent {
  /** The URL the site's cache proxies. */
  url: string
  /** The site whose cache that is (absent: the central registry). */
  site?: string
}

export function parentOf(site: TreeSite, centralCaches: readonly TreeSite[], centralRegistry: string): Parent {
  if (site.tier === 'central') return { url: centralRegistry }
  let best: TreeSite | undefined
  let bestKm = Infinity
  for (const c of centralCaches) {
    if (!c.cache || c.name === site.name) continue
    // Without coordinates on either side, the first by name (a stable choice).
    const km = site.geo && c.geo ? distanceKm(site.geo, c.geo) : Number.MAX_SAFE_INTEGER
    if (!best || km < bestKm || (km === bestKm && c.name < best.name)) { best = c; bestKm = km }
  }
  return best ? { url: `http://${best.cache}`, site: best.name } : { url: centralRegistry }
}
