// Builds the scheduler's input from the watch-fed caches (no store reads).
import type { App, Instance, Node, Site, Template } from '../api/kinds/index.js'
import { getCondition } from '../api/meta.js'
import { parseCpu, parseMemory } from '../api/quantity.js'
import type { Cache } from '../store/cache.js'
import type { NodeInfo, PlacedInstance, SiteInfo, Snapshot } from '../scheduler/types.js'

export interface FleetCaches {
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
  /** When given, instances carry their app's priority (for preemption). */
  apps?: Cache<App>
}

/**
 * A node Ready within this long of its creation has just joined: its Ready time is not a recovery,
 * so it gets no return dwell (a new site is usable at once).
 */
export const JOIN_WINDOW_MS = 60_000

export function requestOf(t: Template): { cpu: number; memory: number } {
  return { cpu: parseCpu(t.resources?.cpu), memory: parseMemory(t.resources?.memory) }
}

export function isNodeReady(n: Node): boolean {
  return getCondition(n.status?.conditions, 'Ready')?.status === 'True'
}

export function siteInfo(s: Site): SiteInfo {
  return {
    name: s.metadata.name, region: s.spec.region, provider: s.spec.provider, tier: s.spec.tier,
    labels: s.metadata.labels ?? {}, ...(s.spec.geo ? { geo: s.spec.geo } : {}), unschedulable: !!s.spec.unschedulable,
    ...(s.spec.pricePerCpuHour !== undefined ? { price: s.spec.pricePerCpuHour } : {}),
  }
}

export function nodeInfo(n: Node): NodeInfo {
  const ready = isNodeReady(n)
  const cond = getCondition(n.status?.conditions, 'Ready')
  const changed = time(cond?.lastTransitionTime)
  const created = time(n.metadata.creationTimestamp)
  // NotReady since its last transition (or since it was created, if it never reported); Ready
  // again since its last transition, unless that was it joining.
  const since = ready
    ? (changed !== undefined && (created === undefined || changed - created > JOIN_WINDOW_MS) ? { readySince: changed } : {})
    : (changed ?? created) !== undefined ? { notReadySince: (changed ?? created)! } : {}
  return {
    name: n.metadata.name, site: n.spec.site, ready, unschedulable: !!n.spec.unschedulable,
    allocatable: n.status?.allocatable ?? { cpu: 0, memory: 0 }, labels: n.metadata.labels ?? {}, ...since,
  }
}

export function placedInstance(i: Instance, priority?: number): PlacedInstance {
  const created = time(i.metadata.creationTimestamp)
  return {
    name: i.metadata.name, app: `${i.metadata.namespace}/${i.spec.app}`, revision: i.spec.revision,
    node: i.spec.node, site: i.spec.site, request: requestOf(i.spec.template),
    ready: !!i.status?.ready, ...(priority ? { priority } : {}), ...(created !== undefined ? { createdAt: created } : {}),
  }
}

export function buildSnapshot(c: FleetCaches): Snapshot {
  const nodes = c.nodes.list().map(nodeInfo)
  const priority = (i: Instance) => c.apps?.get(i.metadata.namespace, i.spec.app)?.spec.priority
  return {
    sites: withReadiness(c.sites.list().map(siteInfo), nodes),
    nodes,
    instances: c.instances.list().map((i) => placedInstance(i, priority(i))),
  }
}

/**
 * Site readiness from its nodes: NotReady since its last node went down; Ready again since the
 * first of its Ready nodes came back (none of them recovering: Ready since it joined).
 */
export function withReadiness(sites: SiteInfo[], nodes: NodeInfo[]): SiteInfo[] {
  const bySite = new Map<string, NodeInfo[]>()
  for (const n of nodes) {
    const list = bySite.get(n.site)
    if (list) list.push(n)
    else bySite.set(n.site, [n])
  }
  return sites.map((s) => {
    const list = bySite.get(s.name) ?? []
    const ready = list.filter((n) => n.ready)
    if (ready.length) {
      return ready.every((n) => n.readySince !== undefined) ? { ...s, readySince: Math.min(...ready.map((n) => n.readySince!)) } : s
    }
    return list.length && list.every((n) => n.notReadySince !== undefined) ? { ...s, notReadySince: Math.max(...list.map((n) => n.notReadySince!)) } : s
  })
}

function time(iso: string | undefined): number | undefined {
  const t = iso ? Date.parse(iso) : NaN
  return Number.isFinite(t) ? t : undefined
}
