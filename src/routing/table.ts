// The routing table: for each app host, the sites that can serve it (healthy gateway, ready
// instances), with their coordinates and load. Rebuilt from the watch-fed caches and the link's
// in-memory view whenever they change (coalesced); queries read the last built table and never
// touch the store (principle 7). The same table feeds DNS, the route API and the site gateways.
import type { App, Instance, Node, Site } from '../api/kinds/index.js'
import type { Cache } from '../store/cache.js'
import type { LinkStats } from '../controllers/node-lifecycle.js'
import type { Clock } from '../lib/clock.js'
import type { GatewayRoute, TrafficReport } from '../agent/gateway/types.js'
import { rankSites, usable, type Excluded, type RankedSite, type SiteCandidate } from './policy.js'
import { DemandTracker } from './demand.js'
import { FallbackIndex } from './fallbacks.js'
import type { ClientLocation, GeoLocator, GeoPoint } from './types.js'

export interface LinkSource {
  stats: Map<string, LinkStats>
  onLinkChange(fn: (node: string) => void): void
}

interface HostEntry {
  app: string // namespace/name
  port: string
  candidates: SiteCandidate[]
  /** site → ready instance endpoints (host:port of the traffic port) with identity. */
  endpoints: Map<string, { id: string; address: string }[]>
  /** Built on first use after each rebuild: the gateways' fallbacks without ranking every site. */
  fallbacks?: FallbackIndex
}

export interface RouteResult {
  host: string
  app: string
  client: ClientLocation
  ranked: RankedSite[]
  excluded: Excluded[]
}

interface Traffic { at: number; rps: number; inflight: number; saturated: boolean; errorRate?: number }

const TRAFFIC_TTL_MS = 30_000
const STICKY_MAX = 100_000

export interface RoutingTableOptions {
  apps: Cache<App>
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
  links: LinkSource
  geo: GeoLocator
  clock: Clock
  /**
   * Rebuilds are at most this often (default 100 ms): a burst of changes (thousands of instances
   * becoming ready, a reconnect storm) costs a few rebuilds, not one per change.
   */
  minRebuildIntervalMs?: number
}

export class RoutingTable {
  private hosts = new Map<string, HostEntry>()
  private traffic = new Map<string, Traffic>() // site|host
  private sticky = new Map<string, string>()
  private scheduled = false
  private lastRebuild = 0
  /**
   * How long the last rebuild took (ms): rebuilds start at least 10× that apart (≤ 10% of the time;
   * at 10,000 sites, while every site's instance turned ready, rebuilds and the route pushes they
   * cause took half the server at 4×).
   */
  private lastCost = 0
  private listeners = new Set<() => void>()
  private version = 0

  readonly demand: DemandTracker

  constructor(private o: RoutingTableOptions) {
    this.demand = new DemandTracker(o.geo, o.clock)
  }

  /** What the gateways see of a host right now: requests/s and requests in flight, over all sites. */
  observed(host: string): { rps: number; connections: number } {
    const now = this.o.clock.now()
    let rps = 0, connections = 0
    const suffix = `|${host.toLowerCase()}`
    for (const [k, t] of this.traffic) {
      if (!k.endsWith(suffix) || now - t.at >= TRAFFIC_TTL_MS) continue
      rps += t.rps
      connections += t.inflight
    }
    return { rps, connections }
  }

  start(): void {
    const dirty = () => this.schedule()
    // Status writes (app, site and node status change often, and on every node every few seconds
    // at scale) do not change routing: only what the table is built from does.
    this.o.apps.on((ev, prev) => { if (ev.type !== 'MODIFIED' || JSON.stringify(prev?.spec.traffic) !== JSON.stringify(ev.object.spec.traffic)) dirty() })
    this.o.sites.on((ev, prev) => { if (ev.type !== 'MODIFIED' || JSON.stringify(prev?.spec) !== JSON.stringify(ev.object.spec)) dirty() })
    this.o.nodes.on((ev, prev) => { if (ev.type !== 'MODIFIED' || prev?.spec.site !== ev.object.spec.site) dirty() })
    this.o.instances.on((ev, prev) => {
      // Only ready instances are in the table: placing or removing one that is not ready (10,000
      // of them when an app goes to every site) changes nothing here.
      const i = ev.object
      if (ev.type !== 'MODIFIED') { if (i.status?.ready) this.schedule(); return }
      if (prev && prev.status?.ready === i.status?.ready && JSON.stringify(prev.status?.endpoints) === JSON.stringify(i.status?.endpoints)) return
      this.schedule()
    })
    this.o.links.onLinkChange(dirty)
    this.rebuild()
  }

  /** Rebuilds once after the current burst of changes (and not sooner than minRebuildIntervalMs after the last). */
  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    const wait = this.lastRebuild + Math.max(this.o.minRebuildIntervalMs ?? 100, 10 * this.lastCost) - Date.now()
    const run = () => { this.scheduled = false; this.rebuild() }
    if (wait > 0) setTimeout(run, wait).unref()
    else setImmediate(run)
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  get generation(): number { return this.version }

  /** Builds the table from the caches (exposed for tests). */
  rebuild(): void {
    const now = this.o.clock.now()
    this.lastRebuild = Date.now()
    const connected = new Set<string>()
    const sitesUp = new Set<string>()
    const gatewaysBySite = new Map<string, string[]>()
    for (const n of this.o.nodes.list()) {
      const s = this.o.links.stats.get(n.metadata.name)
      if (!s?.connected) continue
      connected.add(n.metadata.name)
      sitesUp.add(n.spec.site)
      if (s.gateway?.healthy) {
        const list = gatewaysBySite.get(n.spec.site) ?? []
        list.push(s.gateway.address)
        gatewaysBySite.set(n.spec.site, list)
      }
    }
    const sites = new Map(this.o.sites.list().map((s) => [s.metadata.name, s]))
    // An operator-declared gateway address (e.g. a load balancer) stands for the site while any of its nodes is connected.
    for (const s of sites.values()) {
      if (!s.spec.gateway?.address) continue
      if (sitesUp.has(s.metadata.name)) gatewaysBySite.set(s.metadata.name, [s.spec.gateway.address])
    }
    const hosts = new Map<string, HostEntry>()
    const byApp = new Map<string, HostEntry>()
    for (const app of this.o.apps.list()) {
      const t = app.spec.traffic
      if (!t) continue
      const key = `${app.metadata.namespace}/${app.metadata.name}`
      const entry: HostEntry = { app: key, port: t.port, candidates: [], endpoints: new Map() }
      hosts.set(t.host.toLowerCase(), entry)
      byApp.set(key, entry)
    }
    for (const i of this.o.instances.list()) {
      const entry = byApp.get(`${i.metadata.namespace}/${i.spec.app}`)
      if (!entry || !i.status?.ready || !connected.has(i.spec.node)) continue
      const address = i.status.endpoints?.[entry.port]
      if (!address) continue
      const list = entry.endpoints.get(i.spec.site) ?? []
      list.push({ id: `${i.metadata.namespace}/${i.metadata.name}`, address })
      entry.endpoints.set(i.spec.site, list)
    }
    for (const [host, entry] of hosts) {
      for (const s of sites.values()) {
        const ready = entry.endpoints.get(s.metadata.name)?.length ?? 0
        const tr = this.traffic.get(`${s.metadata.name}|${host}`)
        const fresh = tr && now - tr.at < TRAFFIC_TTL_MS ? tr : undefined
        entry.candidates.push({
          site: s.metadata.name, region: s.spec.region, provider: s.spec.provider,
          ...(s.spec.geo ? { geo: s.spec.geo } : {}),
          gateways: gatewaysBySite.get(s.metadata.name) ?? [], ready,
          saturated: !!fresh?.saturated, load: fresh && ready ? fresh.rps / ready : 0,
        })
      }
    }
    this.hosts = hosts
    this.version++
    this.lastCost = Date.now() - this.lastRebuild
    for (const l of this.listeners) l()
  }

  knownHosts(): string[] { return [...this.hosts.keys()] }

  hasHost(host: string): boolean { return this.hosts.has(host.toLowerCase()) }

  /** Ranks the sites for a host as seen from a client; undefined for a host no App declares. */
  route(host: string, client: ClientLocation, opts: { remember?: boolean } = {}): RouteResult | undefined {
    const h = hostKey(host)
    const entry = this.hosts.get(h)
    if (!entry) return undefined
    const { ok, excluded } = usable(entry.candidates)
    const stickyKey = `${h}|${clientKey(client)}`
    const ranked = rankSites(ok, client.point, this.sticky.get(stickyKey))
    if (opts.remember && ranked[0]) this.remember(stickyKey, ranked[0].site)
    return { host: h, app: entry.app, client, ranked, excluded }
  }

  /** Where a client at `ip` goes, located by the geo locator. */
  routeIp(host: string, ip: string, opts: { remember?: boolean } = {}): RouteResult | undefined {
    return this.route(host, this.o.geo.locate(ip), opts)
  }

  /**
   * The first `k` of route()'s ranking (k ≥ 2), without ranking every site: what a DNS answer needs.
   * Ranking 10,000 sites per query held each answer for tens of milliseconds. The k best come from
   * the host's fallback index; the client's sticky site joins them, so the hysteresis works as in
   * route(). Undefined for a host no App declares.
   */
  best(host: string, ip: string, k: number, opts: { remember?: boolean } = {}): { client: ClientLocation; ranked: RankedSite[] } | undefined {
    const h = hostKey(host)
    const entry = this.hosts.get(h)
    if (!entry) return undefined
    const client = this.o.geo.locate(ip)
    const stickyKey = `${h}|${clientKey(client)}`
    const sticky = this.sticky.get(stickyKey)
    entry.fallbacks ??= new FallbackIndex(entry.candidates)
    const top = entry.fallbacks.fallbacks('', client.point, Math.max(2, k))
    if (sticky && !top.some((c) => c.site === sticky)) {
      const c = entry.candidates.find((x) => x.site === sticky)
      if (c && usable([c]).ok.length) top.push(c)
    }
    const ranked = rankSites(top, client.point, sticky).slice(0, k)
    if (opts.remember && ranked[0]) this.remember(stickyKey, ranked[0].site)
    return { client, ranked }
  }

  /** The client's (subnet's) site for this host from now on: most recently used last, the oldest dropped. */
  private remember(stickyKey: string, site: string): void {
    this.sticky.delete(stickyKey)
    this.sticky.set(stickyKey, site)
    if (this.sticky.size > STICKY_MAX) this.sticky.delete(this.sticky.keys().next().value!)
  }

  /** Gateway reports from one site: load and saturation per host. */
  recordTraffic(site: string, reports: TrafficReport[], intervalSeconds: number): void {
    const now = this.o.clock.now()
    let changed = false
    for (const r of reports) {
      const key = `${site}|${r.host.toLowerCase()}`
      const prev = this.traffic.get(key)
      const next: Traffic = { at: now, rps: r.requests / Math.max(1, intervalSeconds), inflight: r.inflight, saturated: r.saturated, ...(r.requests > 0 ? { errorRate: r.errors / r.requests } : {}) }
      this.demand.record(r.host, r.byPrefix)
      if (!prev || prev.saturated !== next.saturated) changed = true
      this.traffic.set(key, next)
    }
    if (changed) this.schedule()
  }

  /** The error rate a site's gateway last reported for a host (within the freshness window). */
  errorRate(site: string, host: string): number | undefined {
    const t = this.traffic.get(`${site}|${host.toLowerCase()}`)
    return t && this.o.clock.now() - t.at < TRAFFIC_TTL_MS ? t.errorRate : undefined
  }

  /**
   * The routes document of one site's gateways: per host, the site's ready endpoints and the next-best
   * other sites (as seen from this site) for overflow.
   */
  siteRoutes(site: string, fallbacks = 3): GatewayRoute[] {
    const from = this.o.sites.get(undefined, site)?.spec.geo
    const out: GatewayRoute[] = []
    for (const [host, entry] of this.hosts) {
      entry.fallbacks ??= new FallbackIndex(entry.candidates)
      out.push({
        host,
        endpoints: (entry.endpoints.get(site) ?? []).map((e) => ({ ...e, ready: true })),
        fallbacks: entry.fallbacks.fallbacks(site, from as GeoPoint | undefined, fallbacks).map((r) => ({ site: r.site, gateway: r.gateways[0] })),
      })
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : 1))
  }
}

/** A host as the table keys it: lower case, without a final dot. */
export function hostKey(host: string): string {
  return host.toLowerCase().replace(/\.$/, '')
}

/** Clients in the same /24 (IPv4) or /56 (IPv6) share a sticky answer. */
function clientKey(c: ClientLocation): string {
  if (c.ip.includes('.')) return c.ip.split('.').slice(0, 3).join('.')
  return c.ip.split(':').slice(0, 4).join(':')
}
