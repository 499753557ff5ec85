// nodeSelector and node affinity → placement, where they map. edgeplane places on sites, so node
// labels are read as site labels: the region label becomes placement.regions, other keys become
// placement.siteSelector (a warning says so). Pod (anti-)affinity, tolerations and preferred terms
// have no equivalent and are reported.
import type { Warn } from './warnings.js'

type Obj = Record<string, any>

const REGION_KEYS = new Set(['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'])

export function translateScheduling(pod: Obj, at: string, warn: Warn): Obj | undefined {
  const matchLabels: Obj = {}
  const matchExpressions: Obj[] = []
  let regions: string[] | undefined
  for (const [k, v] of Object.entries(pod.nodeSelector ?? {})) {
    if (REGION_KEYS.has(k)) regions = [String(v)]
    else {
      matchLabels[k] = String(v)
      warn(`${at}.nodeSelector.${k}`, 'node labels are matched against site labels (placement.siteSelector)')
    }
  }
  const aff: Obj = pod.affinity ?? {}
  for (const k of Object.keys(aff)) if (k !== 'nodeAffinity') warn(`${at}.affinity.${k}`, 'pod affinity is not supported (placement.spread and maxPerSite are the nearest) and is ignored')
  const na: Obj = aff.nodeAffinity ?? {}
  if (na.preferredDuringSchedulingIgnoredDuringExecution) warn(`${at}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`, 'preferences are not supported (placement.scoring weighs sites) and are ignored')
  const terms: Obj[] = na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []
  if (terms.length > 1) warn(`${at}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`, `${terms.length} alternative terms: only the first is kept (a site selector has no OR)`)
  const term = terms[0]
  if (term) {
    const tAt = `${at}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]`
    if (term.matchFields) warn(`${tAt}.matchFields`, 'is not supported and is ignored')
    for (const [i, e] of (term.matchExpressions ?? []).entries()) {
      if (REGION_KEYS.has(e.key) && e.operator === 'In') { regions = (e.values ?? []).map(String); continue }
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) { warn(`${tAt}.matchExpressions[${i}]`, `operator ${e.operator} is not supported (In, NotIn, Exists, DoesNotExist) and is ignored`); continue }
      matchExpressions.push({ key: e.key, operator: e.operator, ...(e.values?.length ? { values: e.values.map(String) } : {}) })
      warn(`${tAt}.matchExpressions[${i}]`, `node label "${e.key}" is matched against site labels (placement.siteSelector)`)
    }
  }
  if (pod.tolerations) warn(`${at}.tolerations`, 'is not supported and is ignored')
  if (pod.topologySpreadConstraints) warn(`${at}.topologySpreadConstraints`, 'is not supported (placement.spread is the nearest) and is ignored')
  const placement: Obj = {}
  if (regions) placement.regions = regions
  if (Object.keys(matchLabels).length || matchExpressions.length) {
    placement.siteSelector = { ...(Object.keys(matchLabels).length ? { matchLabels } : {}), ...(matchExpressions.length ? { matchExpressions } : {}) }
  }
  return Object.keys(placement).length ? placement : undefined
}
