// The server's image distribution: the tree of caches, what each node is told over the link (the
// central registry, its site's cache to pull through, its cache's parent, the images to fetch), and
// where each site stands with each image (from what its nodes report). In memory: agents report
// their caches in hello and status and their pulls on every change, so a restarted server learns it
// all again within a link's welcome. No I/O beyond link messages.
//
// Who fetches for a site: the node running its healthy cache (the image then sits in the cache,
// for every node of the site, and on that node), else its first connected node by name (through
// the nearest central cache, which every node of a site without a cache pulls through). Tree order:
// a site whose cache proxies a central site's cache is asked only once that central site holds the
// image (and a central site once the root cache does), so the root cache fetches from the center
// once, not once per site asking at the same time.
import type { Site } from '../../api/kinds/index.js'
import type { HelloMessage, ImagePullReport, ImagesMessage, RegistryCacheState } from '../../api/link.js'
import type { Logger } from '../../lib/log.js'
import type { ImageAvailability, ImagePresence } from '../../controllers/rollout/predistribution.js'
import { parentOf, type Parent, type TreeSite } from './tree.js'

export interface ImageDistributionOptions {
  log: Logger
  /** The central registry (http://host:port or https://…); without it, caches have no parent to proxy. */
  centralRegistry?: string
  site: (name: string) => Site | undefined
  /** Sends a message on a node's link (false when it is not connected). */
  send: (node: string, msg: ImagesMessage) => boolean
  /**
   * Changes are computed and sent together at most this often (default 100 ms; 0: at the end of the
   * current microtask). A computation walks every site: one per report, with 1,000 sites reporting
   * within seconds, was quadratic.
   */
  batchMs?: number
}

interface NodeEntry {
  node: string
  site: string
  address: string
  cache?: RegistryCacheState
  reports: Map<string, ImagePullReport>
  /** The last document sent (JSON without the version), to send only changes. */
  sent?: string
  version: number
}

export class ImageDistribution implements ImageAvailability {
  private nodes = new Map<string, NodeEntry>()
  private wants = new Map<string, ReadonlyMap<string, readonly string[]>>()
  private listeners = new Set<(site: string, image: string) => void>()
  private queued = false
  /** Something was asked of some node since nothing was (one more flush clears it). */
  private spoke = false
  /** The last computed state of each site × image, to tell listeners what changed. */
  private states = new Map<string, string>()

  constructor(private o: ImageDistributionOptions) {
    if (o.centralRegistry !== undefined && !/^https?:\/\/[^/\s@]+$/.test(o.centralRegistry)) {
      throw new Error(`central registry "${o.centralRegistry}": use http://HOST:PORT or https://HOST[:PORT] (no path)`)
    }
  }

  onChange(fn: (site: string, image: string) => void): void { this.listeners.add(fn) }

  // ---- from the link ----

  linkUp(node: string, site: string, hello: Pick<HelloMessage, 'address' | 'registryCache'>): void {
    const prev = this.nodes.get(node)
    const e: NodeEntry = { node, site, address: hello.address, reports: new Map(), version: prev?.version ?? 0 }
    this.nodes.set(node, e)
    this.setCache(e, hello.registryCache)
    this.changed()
  }

  linkDown(node: string): void {
    if (this.nodes.delete(node)) this.changed()
  }

  cacheState(node: string, state: RegistryCacheState): void {
    const e = this.nodes.get(node)
    if (!e) return
    this.setCache(e, state)
    this.changed()
  }

  imageStatus(node: string, reports: readonly ImagePullReport[]): void {
    const e = this.nodes.get(node)
    if (!e) return
    e.reports = new Map(reports.map((r) => [r.image, r]))
    this.changed()
  }

  /** A node's cache counts only on its own address (a node speaks for itself, not for another host). */
  private setCache(e: NodeEntry, state: RegistryCacheState | undefined): void {
    if (!state) { delete e.cache; return }
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(state.address)
    const port = m ? Number(m[2]) : 0
    if (!m || m[1] !== e.address || port < 1 || port > 65535) {
      this.o.log.warn({ node: e.node, address: state.address, nodeAddress: e.address }, 'ignoring a registry cache not on the node\'s own address (host:port with the node\'s address)')
      delete e.cache
      return
    }
    e.cache = state
  }

  // ---- from the controllers ----

  want(owner: string, perSite: ReadonlyMap<string, readonly string[]>): void {
    const prev = this.wants.get(owner)
    if (!perSite.size) { if (prev) { this.wants.delete(owner); this.changed() } return }
    if (prev && sameWants(prev, perSite)) return
    this.wants.set(owner, perSite)
    this.changed()
  }

  state(site: string, image: string): ImagePresence | undefined {
    return this.view().states.get(`${site}\n${image}`)
  }

  // ---- the computation ----

  private cached: View | undefined

  private changed(): void {
    this.cached = undefined
    if (this.queued) return
    this.queued = true
    // Coalesced: a burst of reports (a wave of sites) is one computation and one round of messages.
    const run = () => { this.queued = false; this.flush() }
    const ms = this.o.batchMs ?? 100
    if (ms <= 0) queueMicrotask(run)
    else setTimeout(run, ms).unref()
  }

  /** Sites of connected nodes, with each site's cache node and fetching node. */
  private bySite(): Map<string, SiteNodes> {
    const out = new Map<string, SiteNodes>()
    for (const e of [...this.nodes.values()].sort((a, b) => (a.node < b.node ? -1 : 1))) {
      let s = out.get(e.site)
      if (!s) out.set(e.site, (s = { nodes: [] }))
      s.nodes.push(e)
      if (!s.cacheNode && e.cache?.healthy) s.cacheNode = e
    }
    for (const s of out.values()) s.fetcher = s.cacheNode ?? s.nodes[0]
    return out
  }

  private parents(sites: Map<string, SiteNodes>): Map<string, Parent> {
    const out = new Map<string, Parent>()
    if (!this.o.centralRegistry) return out
    const tree = (name: string): TreeSite => {
      const spec = this.o.site(name)?.spec
      const cache = sites.get(name)?.cacheNode?.cache?.address
      return { name, tier: spec?.tier ?? 'edge', ...(spec?.geo ? { geo: spec.geo } : {}), ...(cache ? { cache } : {}) }
    }
    const all = [...new Set([...sites.keys(), ...[...this.wants.values()].flatMap((m) => [...m.keys()])])].map(tree)
    const central = all.filter((s) => s.tier === 'central' && s.cache)
    for (const s of all) out.set(s.name, parentOf(s, central, this.o.centralRegistry))
    return out
  }

  private view(): View {
    if (this.cached) return this.cached
    const sites = this.bySite()
    const parents = this.parents(sites)
    // Every site × image wanted, and the central sites whose caches feed them (warmed first).
    const wanted = new Map<string, Set<string>>()
    const add = (site: string, image: string) => {
      let set = wanted.get(site)
      if (!set) wanted.set(site, (set = new Set()))
      set.add(image)
    }
    for (const perSite of this.wants.values()) for (const [site, images] of perSite) for (const image of images) {
      // The site and its ancestors (edge → central → root: at most two above it).
      for (let s: string | undefined = site, hops = 0; s && hops < 4; s = parents.get(s)?.site, hops++) add(s, image)
    }
    const states = new Map<string, ImagePresence>()
    const asked = new Map<string, string[]>()
    const reportOf = (site: string, image: string) => sites.get(site)?.fetcher?.reports.get(image)
    for (const [site, images] of wanted) for (const image of images) {
      const via = parents.get(site)?.site
      let st: ImagePresence
      if (!sites.get(site)?.fetcher) st = { state: 'pulling', message: 'no node of the site is connected' }
      else if (via && via !== site && reportOf(via, image)?.state === 'failed') st = { state: 'failed', message: `the cache of ${via} (the site's parent) could not fetch it: ${reportOf(via, image)!.message ?? 'no reason given'}` }
      else if (via && via !== site && reportOf(via, image)?.state !== 'present') st = { state: 'pulling', message: `waiting for the cache of ${via} (the site's parent) to hold it` }
      else {
        const r = reportOf(site, image)
        st = r ? { state: r.state, ...(r.message ? { message: r.message } : {}) } : { state: 'pulling', message: 'asked; waiting for the site to report' }
        const f = sites.get(site)!.fetcher!.node
        asked.set(f, [...(asked.get(f) ?? []), image])
      }
      states.set(`${site}\n${image}`, st)
    }
    this.cached = { states, sites, parents, asked }
    return this.cached
  }

  private flush(): void {
    // A fleet without a central registry nor images asked for has nothing to say (a reconnect storm
    // of 10,000 links costs nothing here).
    if (!this.o.centralRegistry && !this.wants.size && !this.spoke) return
    this.spoke = this.wants.size > 0
    const { states, sites, parents, asked } = this.view()
    for (const [site, s] of sites) for (const e of s.nodes) {
      const doc = {
        ...(this.o.centralRegistry ? { central: this.o.centralRegistry } : {}),
        // The site's own cache; a site without one pulls through its parent's (a central site's cache).
        ...(mirror(s, parents.get(site)) ? { mirror: mirror(s, parents.get(site)) } : {}),
        // A cache node is told its parent even while its cache is unhealthy (it may be waiting for one).
        ...(e.cache && parents.get(site) ? { parent: parents.get(site)!.url } : {}),
        pull: (asked.get(e.node) ?? []).sort(),
      }
      const json = JSON.stringify(doc)
      // Nothing to say to a node that never had anything (no message per node on a fleet without images).
      if (json === e.sent || (e.sent === undefined && !doc.central && !doc.pull.length)) continue
      if (this.o.send(e.node, { t: 'images', version: ++e.version, ...doc })) e.sent = json
    }
    const seen = new Set<string>()
    for (const [key, st] of states) {
      seen.add(key)
      const v = `${st.state}\n${st.message ?? ''}`
      if (this.states.get(key) === v) continue
      this.states.set(key, v)
      const [site, image] = key.split('\n')
      for (const l of this.listeners) l(site, image)
    }
    for (const key of this.states.keys()) if (!seen.has(key)) this.states.delete(key)
  }
}

function mirror(s: SiteNodes, parent: Parent | undefined): string | undefined {
  return s.cacheNode?.cache?.address ?? (parent?.site ? parent.url.replace(/^https?:\/\//, '') : undefined)
}

type SiteNodes = { nodes: NodeEntry[]; cacheNode?: NodeEntry; fetcher?: NodeEntry }
/** One computation: each site × image's state, the sites' nodes, their parents, and what each node is asked to fetch. */
interface View { states: Map<string, ImagePresence>; sites: Map<string, SiteNodes>; parents: Map<string, Parent>; asked: Map<string, string[]> }

function sameWants(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) {
    const w = b.get(k)
    if (!w || w.length !== v.length || w.some((x, i) => x !== v[i])) return false
  }
  return true
}
