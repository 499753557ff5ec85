// The fleet as the scheduler reads it: sites in name order, each with its nodes and the capacity
// its instances use, and instances by app and by node. schedule() builds one from a Snapshot on
// every call; a caller scheduling many apps against the same fleet (the controller's work loop,
// the benchmark) builds it once and keeps it current with put/delete as plans are applied, so a
// call costs O(sites), not O(fleet · log fleet). schedule() never changes it. Reads are in name
// order (or order-free sums), so insertion order never shows in a plan.
import type { Capacity } from '../api/kinds/index.js'
import { byString } from './heap.js'
import { toVec, type Vec } from './geo.js'
import type { NodeInfo, PlacedInstance, SiteInfo, Snapshot } from './types.js'

const byName = (a: { name: string }, b: { name: string }) => byString(a.name, b.name)

export interface NodeRec {
  info: NodeInfo
  /** Requests of every instance on the node (all apps, all revisions); read it through usedOf(). */
  used: Capacity
  /** Instances on the node and their requests. */
  instances: Map<string, Capacity>
  /** Some request is fractional: sums are redone in name order so that rounding never depends on history. */
  inexact: boolean
}

/** A site (or a site name that only nodes mention: `info` undefined) with its nodes and a few aggregates. */
export class SiteRec {
  nodes: NodeRec[] = []
  /** Position in FleetIndex.sites() (valid while the site list is unchanged). */
  ordinal = -1
  private sorted = true
  private stale = true
  private fitMemo = new Map<string, { usable: number; nominal: number }>()
  private agg = { anyReady: false, usable: 0, timed: false, freeCpu: 0, freeMem: 0, allocCpu: 0, allocMem: 0, freeFraction: 0 }

  /** The site's location as a unit vector (geo.ts), or null. */
  vec: Vec | null = null
  private site: SiteInfo | undefined

  constructor(readonly name: string, info: SiteInfo | undefined) { this.setInfo(info) }

  get info(): SiteInfo | undefined { return this.site }
  /** @internal */ setInfo(info: SiteInfo | undefined): void {
    this.site = info
    this.vec = info?.geo ? toVec(info.geo) : null
  }

  /** Nodes in name order. */
  sortedNodes(): readonly NodeRec[] {
    if (!this.sorted) { this.nodes.sort((a, b) => byName(a.info, b.info)); this.sorted = true }
    return this.nodes
  }

  /**
   * anyReady: some node Ready; usable: Ready and not cordoned nodes; timed: some node carries a
   * readiness time (so failover or a return dwell may apply: callers then look node by node);
   * free/alloc: of the usable nodes, free clamped at 0; freeFraction: the mean of free/alloc over
   * cpu and memory (the capacity score).
   */
  aggregates(): Readonly<SiteRec['agg']> {
    if (this.stale) {
      const a = { anyReady: false, usable: 0, timed: false, freeCpu: 0, freeMem: 0, allocCpu: 0, allocMem: 0, freeFraction: 0 }
      for (const n of this.nodes) {
        if (n.info.ready) a.anyReady = true
        if (n.info.readySince !== undefined || n.info.notReadySince !== undefined) a.timed = true
        if (!n.info.ready || n.info.unschedulable) continue
        const u = usedOf(n)
        a.usable++
        a.allocCpu += n.info.allocatable.cpu
        a.allocMem += n.info.allocatable.memory
        a.freeCpu += Math.max(0, n.info.allocatable.cpu - u.cpu)
        a.freeMem += Math.max(0, n.info.allocatable.memory - u.memory)
      }
      a.freeFraction = freeFraction(a.freeCpu, a.allocCpu, a.freeMem, a.allocMem)
      this.agg = a
      this.stale = false
    }
    return this.agg
  }

  /**
   * Replicas of `request` that fit on the Ready, not cordoned nodes (nominal: on every node not
   * cordoned, Ready or not). Memoised per request size until the site changes: apps share a few
   * sizes, and a fleet-wide call asks this of every site.
   */
  fits(request: Capacity, nominal: boolean, key = sizeKey(request)): number {
    let m = this.fitMemo.get(key)
    if (!m) {
      m = { usable: 0, nominal: 0 }
      for (const n of this.nodes) {
        if (n.info.unschedulable) continue
        const u = usedOf(n)
        const c = request.cpu > 0 ? Math.floor((n.info.allocatable.cpu - u.cpu) / request.cpu) : Infinity
        const k = Math.max(0, Math.min(c, request.memory > 0 ? Math.floor((n.info.allocatable.memory - u.memory) / request.memory) : Infinity))
        m.nominal += k
        if (n.info.ready) m.usable += k
      }
      if (this.fitMemo.size >= 32) this.fitMemo.clear()
      this.fitMemo.set(key, m)
    }
    return nominal ? m.nominal : m.usable
  }

  /** @internal */ touch(): void { this.stale = true; if (this.fitMemo.size) this.fitMemo.clear() }
  /** @internal */ unsort(): void { this.sorted = false; this.touch() }
}

export class FleetIndex {
  private recs = new Map<string, SiteRec>()
  private list: SiteRec[] | null = null
  private nodeMap = new Map<string, NodeRec>()
  private instMap = new Map<string, PlacedInstance>()
  private byApp = new Map<string, Set<string>>()
  // Instances on nodes not (yet) in the fleet, so they count once their node appears.
  private orphans = new Map<string, Map<string, Capacity>>()

  static from(s: Snapshot): FleetIndex {
    const f = new FleetIndex()
    for (const site of s.sites) f.putSite(site)
    for (const n of s.nodes) f.putNode(n)
    for (const i of s.instances) f.putInstance(i)
    return f
  }

  /** Sites of the fleet in name order. */
  sites(): readonly SiteRec[] {
    if (!this.list) {
      this.list = [...this.recs.values()].filter((r) => r.info).sort((a, b) => byString(a.name, b.name))
      this.list.forEach((r, i) => { r.ordinal = i })
    }
    return this.list
  }

  site(name: string): SiteRec | undefined { const r = this.recs.get(name); return r?.info ? r : undefined }
  node(name: string): NodeRec | undefined { return this.nodeMap.get(name) }
  /** Nodes that name this site, in no particular order, whether or not the site itself is in the fleet. */
  nodesIn(site: string): readonly NodeRec[] { return this.recs.get(site)?.nodes ?? [] }
  instance(name: string): PlacedInstance | undefined { return this.instMap.get(name) }
  get instanceCount(): number { return this.instMap.size }

  /** Instances of an app (namespace/name), in name order. */
  instancesOf(app: string): PlacedInstance[] { return this.resolve(this.byApp.get(app)) }

  /** Instances on a node, in name order. */
  instancesOn(node: string): PlacedInstance[] { return this.resolve(this.nodeMap.get(node)?.instances.keys()) }

  used(node: string): Capacity {
    const n = this.nodeMap.get(node)
    return n ? usedOf(n) : { cpu: 0, memory: 0 }
  }

  putSite(s: SiteInfo): void {
    const r = this.recs.get(s.name)
    if (r) {
      if (!r.info) this.list = null
      r.setInfo(s)
    } else {
      this.recs.set(s.name, new SiteRec(s.name, s))
      this.list = null
    }
  }

  deleteSite(name: string): void {
    const r = this.recs.get(name)
    if (!r?.info) return
    r.setInfo(undefined)
    if (!r.nodes.length) this.recs.delete(name)
    this.list = null
  }

  putNode(info: NodeInfo): void {
    const prev = this.nodeMap.get(info.name)
    if (prev && prev.info.site === info.site) {
      prev.info = info
      this.recs.get(info.site)!.touch()
      return
    }
    // New, or moved to another site: its instances come along.
    const carried = prev ? prev.instances : this.orphans.get(info.name)
    if (prev) this.detach(prev)
    this.orphans.delete(info.name)
    const n: NodeRec = { info, used: { cpu: 0, memory: 0 }, instances: carried ?? new Map(), inexact: false }
    this.nodeMap.set(info.name, n)
    this.recount(n)
    let r = this.recs.get(info.site)
    if (!r) this.recs.set(info.site, (r = new SiteRec(info.site, undefined)))
    r.nodes.push(n)
    r.unsort()
  }

  deleteNode(name: string): void {
    const n = this.nodeMap.get(name)
    if (!n) return
    this.detach(n)
    if (n.instances.size) this.orphans.set(name, n.instances)
  }

  putInstance(i: PlacedInstance): void {
    this.deleteInstance(i.name)
    this.instMap.set(i.name, i)
    add(this.byApp, i.app, i.name)
    const n = this.nodeMap.get(i.node)
    if (!n) {
      const o = this.orphans.get(i.node)
      if (o) o.set(i.name, i.request)
      else this.orphans.set(i.node, new Map([[i.name, i.request]]))
      return
    }
    n.instances.set(i.name, i.request)
    if (Number.isInteger(i.request.cpu) && Number.isInteger(i.request.memory)) { n.used.cpu += i.request.cpu; n.used.memory += i.request.memory }
    else n.inexact = true
    this.recs.get(n.info.site)!.touch()
  }

  /** Readiness of a known instance (nothing else about it changed); false when it is not known. */
  setReady(name: string, ready: boolean): boolean {
    const prev = this.instMap.get(name)
    if (!prev) return false
    if (prev.ready !== ready) this.instMap.set(name, { ...prev, ready })
    return true
  }

  deleteInstance(name: string): void {
    const prev = this.instMap.get(name)
    if (!prev) return
    this.instMap.delete(name)
    drop(this.byApp, prev.app, name)
    const n = this.nodeMap.get(prev.node)
    if (!n) {
      const o = this.orphans.get(prev.node)
      o?.delete(name)
      if (o && !o.size) this.orphans.delete(prev.node)
      return
    }
    n.instances.delete(name)
    if (Number.isInteger(prev.request.cpu) && Number.isInteger(prev.request.memory)) { n.used.cpu -= prev.request.cpu; n.used.memory -= prev.request.memory }
    else n.inexact = true
    this.recs.get(n.info.site)!.touch()
  }

  private detach(n: NodeRec): void {
    this.nodeMap.delete(n.info.name)
    const r = this.recs.get(n.info.site)!
    r.nodes.splice(r.nodes.indexOf(n), 1)
    r.touch()
    if (!r.nodes.length && !r.info) this.recs.delete(r.name)
  }

  private recount(n: NodeRec): void {
    n.used = { cpu: 0, memory: 0 }
    n.inexact = false
    for (const r of n.instances.values()) {
      if (!Number.isInteger(r.cpu) || !Number.isInteger(r.memory)) n.inexact = true
      n.used.cpu += r.cpu
      n.used.memory += r.memory
    }
  }

  private resolve(names: Iterable<string> | undefined): PlacedInstance[] {
    if (!names) return []
    return [...names].sort(byString).map((n) => this.instMap.get(n)!)
  }
}

/** A request size as a memo key: make it once per plan, not once per site. */
export function sizeKey(r: Capacity): string {
  return `${r.cpu}/${r.memory}`
}

/** Mean of free/allocatable over cpu and memory (those with any allocatable); 0 without either. */
export function freeFraction(fc: number, ac: number, fm: number, am: number): number {
  const parts = (ac > 0 ? 1 : 0) + (am > 0 ? 1 : 0)
  return parts ? ((ac > 0 ? fc / ac : 0) + (am > 0 ? fm / am : 0)) / parts : 0
}

/** Capacity used on a node. Integer requests sum exactly in any order; fractional ones are summed again in name order. */
export function usedOf(n: NodeRec): Capacity {
  if (!n.inexact) return n.used
  const u = { cpu: 0, memory: 0 }
  for (const name of [...n.instances.keys()].sort(byString)) { const r = n.instances.get(name)!; u.cpu += r.cpu; u.memory += r.memory }
  return u
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k)
  if (s) s.add(v)
  else m.set(k, new Set([v]))
}

function drop(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k)
  if (!s) return
  s.delete(v)
  if (!s.size) m.delete(k)
}
