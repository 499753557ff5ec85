// In-memory harness for the scheduler, after Nomad's scheduler/tests/testing.go: small builders
// for snapshots, a Harness that records every plan and can apply one (as the plan applier would)
// so a test can run the scheduler again on the result.
import type { App, AppSpec, Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import { appRequest } from '../../src/scheduler/feasibility.js'
import { schedule } from '../../src/scheduler/schedule.js'
import type { DemandPoint, NodeInfo, PlacedInstance, Plan, SchedulePlan, ScheduleRequest, SiteInfo, Snapshot } from '../../src/scheduler/types.js'
import { mulberry32 } from '../../src/lib/rng.js'

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
  priority?: number
  /** The app's name in namespace "default" (default "web", so its key is APP). */
  name?: string
}

/** What the controller adds to the request besides the app. */
export interface RequestOptions extends AppOptions {
  now?: number
  demand?: DemandPoint[]
  /** ScheduleRequest.replicas: the count wanted now (e.g. from autoscale), overriding spec.replicas. */
  wanted?: number
  recentPreemptions?: number
  explain?: number
}

export function app({ replicas = 1, cpu = '100m', memory = '128Mi', placement, priority, name = 'web' }: AppOptions = {}): App {
  const resources: NonNullable<AppSpec['template']['resources']> = {}
  if (cpu !== null) resources.cpu = cpu
  if (memory !== null) resources.memory = memory
  return {
    apiVersion: 'edgeplane.io/v1',
    kind: 'App',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      template: { runtime: 'process', command: name, stopGracePeriodSeconds: 10, resources },
      ...(placement ? { placement } : {}),
      ...(priority !== undefined ? { priority } : {}),
    },
  }
}

export function req(opts: RequestOptions = {}, revision = REV): ScheduleRequest {
  const { now, demand, wanted, recentPreemptions, explain, ...appOpts } = opts
  return {
    app: app(appOpts), appKey: `default/${appOpts.name ?? 'web'}`, revision,
    ...(now !== undefined ? { now } : {}),
    ...(demand ? { demand } : {}),
    ...(wanted !== undefined ? { replicas: wanted } : {}),
    ...(recentPreemptions !== undefined ? { recentPreemptions } : {}),
    ...(explain !== undefined ? { explain } : {}),
  }
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
  readonly plans: SchedulePlan[] = []
  private seq = 0

  constructor(public snapshot: Snapshot) {}

  run(r: ScheduleRequest): SchedulePlan {
    const plan = schedule(this.snapshot, r)
    this.plans.push(plan)
    return plan
  }

  /**
   * Commits a plan the way the applier would: removals and preemption victims go, placements
   * become instances (ready as told: undefined, as before readiness existed). Lost and surplus
   * instances stay: the controller must not delete them.
   */
  apply(r: ScheduleRequest, plan: Plan, opts: { ready?: boolean } = {}): void {
    const gone = new Set([...plan.remove, ...(plan.preempt ?? []).map((p) => p.victim)])
    const request = appRequest(r.app)
    const added = plan.place.map((p): PlacedInstance => ({
      name: `${r.appKey.split('/')[1]}-${String(this.seq++).padStart(4, '0')}`,
      app: r.appKey, revision: r.revision, node: p.node, site: p.site, request: { ...request },
      ...(r.app.spec.priority ? { priority: r.app.spec.priority } : {}),
      ...(opts.ready !== undefined ? { ready: opts.ready } : {}),
      ...(r.now !== undefined ? { createdAt: r.now } : {}),
    }))
    this.snapshot = { ...this.snapshot, instances: this.snapshot.instances.filter((i) => !gone.has(i.name)).concat(added) }
  }

  /** Sets readiness of the instances `which` selects (all by default). */
  setReady(ready: boolean, which: (i: PlacedInstance) => boolean = () => true): void {
    this.snapshot = { ...this.snapshot, instances: this.snapshot.instances.map((i) => (which(i) ? { ...i, ready } : i)) }
  }

  /** Replaces fields of one node (e.g. ready and notReadySince). */
  patchNode(name: string, patch: Partial<NodeInfo>): void {
    this.snapshot = { ...this.snapshot, nodes: this.snapshot.nodes.map((n) => (n.name === name ? clean({ ...n, ...patch }) : n)) }
  }

  /** Replaces fields of one site. */
  patchSite(name: string, patch: Partial<SiteInfo>): void {
    this.snapshot = { ...this.snapshot, sites: this.snapshot.sites.map((s) => (s.name === name ? clean({ ...s, ...patch }) : s)) }
  }

  /** Runs and applies. */
  step(r: ScheduleRequest, opts: { ready?: boolean } = {}): SchedulePlan {
    const plan = this.run(r)
    this.apply(r, plan, opts)
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

/** Drops keys set to undefined, so a patch can clear an optional field. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

export interface Gen { rand: () => number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean }
export function gen(seed: number): Gen {
  const rand = mulberry32(seed)
  return {
    rand,
    int: (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(rand() * xs.length)],
    chance: (p) => rand() < p,
  }
}

export function shuffle<T>(g: Gen, xs: readonly T[]): T[] {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = g.int(0, i)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

/** What the snapshot's instances use on a node. */
export function used(s: Snapshot, nodeName: string): { cpu: number; memory: number } {
  let cpu = 0
  let memory = 0
  for (const i of s.instances) if (i.node === nodeName) { cpu += i.request.cpu; memory += i.request.memory }
  return { cpu, memory }
}

/** True when r fits beside what the node already holds. */
export function fits(s: Snapshot, n: NodeInfo, r: { cpu: number; memory: number }): boolean {
  const u = used(s, n.name)
  return u.cpu + r.cpu <= n.allocatable.cpu && u.memory + r.memory <= n.allocatable.memory
}
