// The distribution tree, pure: which registry each site's cache proxies. One central site's cache
// is the root (the first central cache by name): it alone proxies the central registry. The other
// central caches proxy the root, and an edge site's cache proxies the nearest central cache (the
// tier between center and edge), or the central registry when no central site runs a cache. So the
// center sends an image to the root cache only, however many sites and central regions there are.
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
  const caches = centralCaches.filter((c) => c.cache)
  const root = caches.reduce<TreeSite | undefined>((a, c) => (!a || c.name < a.name ? c : a), undefined)
  if (site.tier === 'central') return root && root.name !== site.name ? { url: `http://${root.cache}`, site: root.name } : { url: centralRegistry }
  let best: TreeSite | undefined
  let bestKm = Infinity
  for (const c of caches) {
    if (c.name === site.name) continue
    // Without coordinates on either side, the first by name (a stable choice).
    const km = site.geo && c.geo ? distanceKm(site.geo, c.geo) : Number.MAX_SAFE_INTEGER
    if (!best || km < bestKm || (km === bestKm && c.name < best.name)) { best = c; bestKm = km }
  }
  return best ? { url: `http://${best.cache}`, site: best.name } : { url: centralRegistry }
}
