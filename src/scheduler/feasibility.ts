// Filters deciding whether a site, and a node inside it, can take one more replica. Every failure
// is a short reason key; the plan counts them per site, as Kubernetes counts them per node.
import type { App, Capacity, Placement as PlacementSpec } from '../api/kinds/index.js'
import { matchesRequirements, matchesSelector, selectorRequirements } from '../api/labels.js'
import { parseCpu, parseMemory } from '../api/quantity.js'
import type { NodeInfo, SiteInfo } from './types.js'

export const REASON = {
  siteUnschedulable: 'site unschedulable',
  region: 'region mismatch',
  provider: 'provider mismatch',
  tier: 'tier mismatch',
  selector: 'selector mismatch',
  noReadyNodes: 'no ready nodes',
  failedOver: 'failed over',
  returning: 'returning',
  noWeight: 'weight 0',
  maxPerSite: 'max per site reached',
  cpu: 'insufficient cpu',
  memory: 'insufficient memory',
} as const
export type Reason = (typeof REASON)[keyof typeof REASON]

/** What one replica of the app requests; unset resources request 0. Quantities were validated on admission. */
export function appRequest(app: App): Capacity {
  const r = app.spec.template.resources
  return {
    cpu: parseCpu(r?.cpu, 'spec.template.resources.cpu'),
    memory: parseMemory(r?.memory, 'spec.template.resources.memory'),
  }
}

/**
 * Why the app's placement rules exclude a site, or null. These are the rules that also move
 * existing instances away when they change (unlike cordoning a site, which only stops new ones).
 */
export function placementMismatch(site: SiteInfo, p: PlacementSpec | undefined): Reason | null {
  if (!allows(p?.regions, site.region)) return REASON.region
  if (!allows(p?.providers, site.provider)) return REASON.provider
  if (!allows(p?.tiers, site.tier)) return REASON.tier
  if (!matchesSelector(site.labels, p?.siteSelector)) return REASON.selector
  return null
}

/** A site → mismatch reason function for one placement, compiled once per plan (it runs for every site). */
export type SiteFilter = (site: SiteInfo) => Reason | null

export function compileFilter(p: PlacementSpec | undefined): SiteFilter {
  const set = (xs: readonly string[] | undefined) => (xs?.length ? new Set<string>(xs) : undefined)
  const regions = set(p?.regions)
  const providers = set(p?.providers)
  const tiers = set(p?.tiers)
  const reqs = selectorRequirements(p?.siteSelector)
  return (site) => {
    if (regions && !regions.has(site.region)) return REASON.region
    if (providers && !providers.has(site.provider)) return REASON.provider
    if (tiers && !tiers.has(site.tier)) return REASON.tier
    if (reqs.length && !matchesRequirements(site.labels, reqs)) return REASON.selector
    return null
  }
}

// An empty list constrains nothing, like an unset one (a list that matches no site is never useful).
function allows(list: readonly string[] | undefined, value: string): boolean {
  return !list?.length || list.includes(value)
}

/** A node that may receive new instances. NotReady nodes keep what they run but get nothing new. */
export function isUsable(node: NodeInfo): boolean {
  return node.ready && !node.unschedulable
}

/** Why a site cannot take new replicas whatever its free capacity, or null. */
export function siteReason(site: SiteInfo, p: PlacementSpec | undefined, nodes: readonly NodeInfo[]): Reason | null {
  if (site.unschedulable) return REASON.siteUnschedulable
  const mismatch = placementMismatch(site, p)
  if (mismatch) return mismatch
  if (!nodes.some(isUsable)) return REASON.noReadyNodes
  return null
}

/**
 * The resource a node lacks for the request, or null when it fits. A zero request always fits (as
 * in Kubernetes), so an app without requests still lands on a node that is already overcommitted.
 */
export function shortfall(free: Capacity, request: Capacity): Reason | null {
  if (request.cpu > 0 && request.cpu > free.cpu) return REASON.cpu
  if (request.memory > 0 && request.memory > free.memory) return REASON.memory
  return null
}
