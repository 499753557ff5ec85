// Builds the scheduler's input from the watch-fed caches (no store reads).
import type { Instance, Node, Site, Template } from '../api/kinds/index.js'
import { getCondition } from '../api/meta.js'
import { parseCpu, parseMemory } from '../api/quantity.js'
import type { Cache } from '../store/cache.js'
import type { NodeInfo, PlacedInstance, SiteInfo, Snapshot } from '../scheduler/types.js'

export interface FleetCaches {
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
}

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
  }
}

export function nodeInfo(n: Node): NodeInfo {
  return {
    name: n.metadata.name, site: n.spec.site, ready: isNodeReady(n), unschedulable: !!n.spec.unschedulable,
    allocatable: n.status?.allocatable ?? { cpu: 0, memory: 0 }, labels: n.metadata.labels ?? {},
  }
}

export function placedInstance(i: Instance): PlacedInstance {
  return {
    name: i.metadata.name, app: `${i.metadata.namespace}/${i.spec.app}`, revision: i.spec.revision,
    node: i.spec.node, site: i.spec.site, request: requestOf(i.spec.template),
  }
}

export function buildSnapshot(c: FleetCaches): Snapshot {
  return {
    sites: c.sites.list().map(siteInfo),
    nodes: c.nodes.list().map(nodeInfo),
    instances: c.instances.list().map(placedInstance),
  }
}
