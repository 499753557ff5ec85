// In-memory harness for the scheduler, after Nomad's scheduler/tests/testing.go: small builders
// for snapshots, a Harness that records every plan and can apply one (as the plan applier would)
// so a test can run the scheduler again on the result.
import type { App, AppSpec, Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import { appRequest } from '../../src/scheduler/feasibility.js'
import { schedule } from '../../src/scheduler/schedule.js'
import type { NodeInfo, PlacedInstance, Plan, ScheduleRequest, SiteInfo, Snapshot } from '../../src/scheduler/types.js'

export const Mi = 1024 ** 2
export const Gi = 1024 ** 3
export const APP = 'default/web'
export const REV = 'r1'

export function site(name: string, over: Partial<SiteInfo> = {}): SiteInfo {
  return { name, region: 'eu', provider: 'own', tier: 'edge', labels: {}, unschedulable: false, ...over }
}

/** A ready node with 4 cores and 8Gi unless told otherwise. */
export function node(name: string, siteName: string, over: Partial<NodeInfo> & { cpu?: number; memory?: number } = {}): NodeInfo {
  const { cpu = 4000, memory = 8 * Gi, ...rest } = over
  return { name, site: siteName, ready: true, unschedulable: false, allocatable: { cpu, memory }, labels: {}, ...rest }
}

/** An instance of APP at REV requesting 100m / 128Mi unless told otherwise. */
export function inst(name: string, nodeName: string, siteName: string, over: Partial<PlacedInstance> = {}): PlacedInstance {
  return { name, app: APP, revision: REV, node: nodeName, site: siteName, request: { cpu: 100, memory: 128 * Mi }, ...over }
}

export interface AppOptions {
  replicas?: number
  /** null leaves the request unset (it then requests 0). */
  cpu?: string | number | null
  memory?: string | number | null
  placement?: PlacementSpec
}

export function app({ replicas = 1, cpu = '100m', memory = '128Mi', placement }: AppOptions = {}): App {
  const resources: NonNullable<AppSpec['template']['resources']> = {}
  if (cpu !== null) resources.cpu = cpu
  if (memory !== null) resources.memory = memory
  return {
    apiVersion: 'edgeplane.io/v1',
    kind: 'App',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      template: { runtime: 'process', command: 'web', stopGracePeriodSeconds: 10, resources },
      ...(placement ? { placement } : {}),
    },
  }
}

export function req(opts: AppOptions = {}, revision = REV): ScheduleRequest {
  return { app: app(opts), appKey: APP, revision }
}

export function snap(sites: SiteInfo[], nodes: NodeInfo[], instances: PlacedInstance[] = []): Snapshot {
  return { sites, nodes, instances }
}

/** n sites "s0".."s(n-1)", each with `perSite` nodes "sX-n0".., built by the optional tweaks. */
export function fleet(n: number, perSite = 1, tweak: (i: number) => Partial<SiteInfo> = () => ({}), nodeOver: Partial<NodeInfo> & { cpu?: number; memory?: number } = {}): Snapshot {
  const sites: SiteInfo[] = []
  const nodes: NodeInfo[] = []
  for (let i = 0; i < n; i++) {
    sites.push(site(`s${i}`, tweak(i)))
    for (let j = 0; j < perSite; j++) nodes.push(node(`s${i}-n${j}`, `s${i}`, nodeOver))
  }
  return { sites, nodes, instances: [] }
}

export class Harness {
  readonly plans: Plan[] = []
  private seq = 0

  constructor(public snapshot: Snapshot) {}

  run(r: ScheduleRequest): Plan {
    const plan = schedule(this.snapshot, r)
    this.plans.push(plan)
    return plan
  }

  /** Commits a plan the way the applier would: removals go, placements become instances. */
  apply(r: ScheduleRequest, plan: Plan): void {
    const gone = new Set(plan.remove)
    const request = appRequest(r.app)
    const added = plan.place.map((p): PlacedInstance => ({
      name: `${r.appKey.split('/')[1]}-${String(this.seq++).padStart(4, '0')}`,
      app: r.appKey, revision: r.revision, node: p.node, site: p.site, request: { ...request },
    }))
    this.snapshot = { ...this.snapshot, instances: this.snapshot.instances.filter((i) => !gone.has(i.name)).concat(added) }
  }

  /** Runs and applies. */
  step(r: ScheduleRequest): Plan {
    const plan = this.run(r)
    this.apply(r, plan)
    return plan
  }

  /** Replicas of the app's revision per site (or per domain via `key`), sorted by key. */
  count(key: (i: PlacedInstance) => string = (i) => i.site, appKey = APP, revision = REV): Record<string, number> {
    const out: Record<string, number> = {}
    for (const i of this.snapshot.instances) if (i.app === appKey && i.revision === revision) out[key(i)] = (out[key(i)] ?? 0) + 1
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
  }
}

/** Placements of a plan counted per site. */
export function perSite(plan: Plan): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of plan.place) out[p.site] = (out[p.site] ?? 0) + 1
  return out
}

export function perNode(plan: Plan): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of plan.place) out[p.node] = (out[p.node] ?? 0) + 1
  return out
}
