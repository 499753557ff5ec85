// Sessions: an instance slot for one end user, near them, in milliseconds. Warm slots come from the
// per-site pools (instances started ahead of demand); when the nearest growable site has none, a
// cold start is waited for within the caller's deadline; beyond it the answer is 503 with the
// reason and when to retry. Sessions are Session resources (durable before they are answered);
// slot bookkeeping lives in memory, one writer per site pool. Expiry, release and lost instances
// recycle slots.
import { randomHex } from '../lib/random-hex.js'
import { isIP } from 'node:net'
import { ApiError, isApiError } from '../api/errors.js'
import type { App, Instance, Node, Session, SessionPool, Site } from '../api/kinds/index.js'
import { API_VERSION } from '../api/meta.js'
import { isoNow, type Clock, type TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import type { Cache } from '../store/cache.js'
import type { Store } from '../store/types.js'
import type { GeoLocator, GeoPoint } from '../routing/types.js'
import { closeness, unitVector, type UnitVector } from './nearest.js'
import { WarmIndex } from './warm-index.js'
import { computePoolSites, type PoolSites } from './pool-sites.js'
import { desiredInstances, Pool, type PoolInstance } from './pool.js'
import { ColdStarts } from './cold-starts.js'
import { closenessKm, kmCloseness, placeSession, SESSION_MAX_DISTANCE_KM, type SiteOption } from './placement.js'
import { signSessionToken } from './token.js'
import { endpointOf, hostPort } from './endpoint.js'

export const SESSION_DEFAULTS: Required<SessionPool> = { slotsPerInstance: 1, warmPerSite: 1, maxPerSite: 10, defaultTtlSeconds: 300, maxTtlSeconds: 86400, scaleDownAfterSeconds: 30, urlScheme: 'http', maxDistanceKm: SESSION_MAX_DISTANCE_KM }

export interface CreateSessionRequest {
  app: string
  namespace?: string
  clientIp?: string
  location?: GeoPoint
  idempotencyKey?: string
  ttlSeconds?: number
  deadlineMs?: number
  /** This request's distance budget, km (default: the app's sessions.maxDistanceKm). */
  maxDistanceKm?: number
  metadata?: Record<string, string>
}

export interface SessionView {
  id: string
  namespace: string
  app: string
  site: string
  node: string
  instance: string
  slot: number
  phase: string
  start: 'warm' | 'cold'
  endpoint: { address: string; port: number; url: string }
  token?: string
  expiresAt: string
  /** Why the session ended; while active, why its site won. */
  reason?: string
  placement?: { reason: string; distanceKm?: number }
}

/** An active session; `idemKey` is its entry in byKey (so ending it does not scan every key). */
interface Live { ns: string; app: string; site: string; instance: string; slot: number; expiresAt: number; sessionKey: string; idemKey?: string }

export interface SessionServiceOptions {
  store: Store
  clock: Clock
  log: Logger
  apps: Cache<App>
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
  sessions: Cache<Session>
  geo: GeoLocator
  /** Connected right now (the link is up): a site is usable for sessions only then. */
  connected: (node: string) => boolean
  /** A pool's wanted size (or its instances' readiness) changed: reconcile the app, at least that site. */
  onPoolChange: (appKey: string, site: string) => void
}


export class SessionService {
  private pools = new Map<string, Pool>()
  /** appKey → sites whose pool has a free ready slot, kept by the pools as slots change. */
  private warm = new Map<string, WarmIndex>()
  private live = new Map<string, Live>()
  private byKey = new Map<string, string | Promise<SessionView>>()
  private sweep: TimerHandle | undefined
  private coldStarts = new ColdStarts()
  /** Pools drained lately: resized as their drain window empties (pool key → pool). */
  private draining = new Map<string, Pool>()

  constructor(private o: SessionServiceOptions) {}

  static config(app: App): Required<SessionPool> {
    return { ...SESSION_DEFAULTS, ...(app.spec.sessions ?? {}) } as Required<SessionPool>
  }

  start(): void {
    for (const i of this.o.instances.list()) this.onInstance(i, undefined, false)
    for (const s of this.o.sessions.list()) {
      if (s.status?.phase !== 'Active') continue
      const pool = this.pool(`${s.metadata.namespace}/${s.spec.app}`, s.spec.site)
      const inst = this.o.instances.get(s.metadata.namespace, s.spec.instance)
      if (!inst || !pool.assign(s.spec.instance, s.spec.slot, s.metadata.name)) {
        void this.end(s.metadata.name, 'Lost', 'its instance was gone when the server started', s)
        continue
      }
      const idemKey = s.spec.idempotencyKey ? `${s.metadata.namespace}/${s.spec.app}/${s.spec.idempotencyKey}` : undefined
      this.live.set(s.metadata.name, { ns: s.metadata.namespace!, app: s.spec.app, site: s.spec.site, instance: s.spec.instance, slot: s.spec.slot, expiresAt: Date.parse(s.status.expiresAt), sessionKey: inst.spec.sessionKey ?? '', ...(idemKey ? { idemKey } : {}) })
      if (idemKey) this.byKey.set(idemKey, s.metadata.name)
    }
    this.o.instances.on((ev, prev) => {
      if (ev.type === 'DELETED') this.onInstanceGone(ev.object, 'its instance was removed')
      else this.onInstance(ev.object, prev, true)
    })
    this.o.sessions.on((ev) => {
      // A session deleted through the resource API ends like a release.
      if (ev.type === 'DELETED' && this.live.has(ev.object.metadata.name)) this.forget(ev.object.metadata.name)
    })
    // Re-armed before each sweep runs, so a clock that jumps ahead sweeps at every second it passes.
    const loop = () => {
      this.sweep = this.o.clock.setTimeout(() => { loop(); this.expire(); this.shrinkDrained() }, 1000)
    }
    loop()
  }

  stop(): void {
    this.sweep?.cancel()
    for (const p of this.pools.values()) for (const w of p.waiters.splice(0)) w.resolve(undefined)
  }

  private pool(appKey: string, site: string): Pool {
    const k = `${appKey}|${site}`
    let p = this.pools.get(k)
    if (!p) {
      let warm = this.warm.get(appKey)
      if (!warm) this.warm.set(appKey, (warm = new WarmIndex()))
      const index = warm
      p = new Pool(appKey, site, (isWarm) => {
        if (isWarm) index.add(site, this.sitesMemo.get(appKey)?.sites.pos.get(site))
        else index.delete(site)
      })
      this.pools.set(k, p)
    }
    return p
  }

  private onInstance(i: Instance, prev: Instance | undefined, notify: boolean): void {
    if (!i.spec.sessionKey) return
    const appKey = `${i.metadata.namespace}/${i.spec.app}`
    const app = this.o.apps.get(i.metadata.namespace, i.spec.app)
    const pool = this.pool(appKey, i.spec.site)
    // A restarted process lost whatever its users had: their sessions are lost.
    if (prev && prev.status && i.status && (i.status.restarts > prev.status.restarts || (prev.status.pid && i.status.pid && prev.status.pid !== i.status.pid))) {
      this.loseSessionsOn(i, `instance ${i.metadata.name} restarted`)
    }
    if (i.status?.phase === 'Unknown' || i.status?.phase === 'Failed') this.loseSessionsOn(i, i.status.phase === 'Unknown' ? `site lost: ${i.status.message ?? 'node not ready'}` : `instance ${i.metadata.name} failed`)
    const port = endpointOf(i, app)
    const ready = !!i.status?.ready && !!port && i.status.phase === 'Running'
    const instKey = `${appKey}/${i.metadata.name}`
    if (ready) this.coldStarts.ready(instKey, this.o.clock.now())
    else if (notify && !prev) this.coldStarts.started(`${appKey}|${i.spec.site}`, instKey, this.o.clock.now())
    pool.upsert({
      name: i.metadata.name, node: i.spec.node, address: port?.address ?? '', port: port?.port ?? 0,
      ready, slotCount: i.spec.slots ?? 1,
    }, this.o.clock.now())
    if (pool.serveWaiters() > 0 || (notify && prev?.status?.ready !== i.status?.ready)) this.o.onPoolChange(appKey, i.spec.site)
  }

  private onInstanceGone(i: Instance, why: string): void {
    if (!i.spec.sessionKey) return
    const pool = this.pool(`${i.metadata.namespace}/${i.spec.app}`, i.spec.site)
    this.coldStarts.gone(`${i.metadata.namespace}/${i.spec.app}/${i.metadata.name}`)
    for (const sid of pool.remove(i.metadata.name)) void this.end(sid, 'Lost', why)
  }

  private loseSessionsOn(i: Instance, why: string): void {
    const pool = this.pool(`${i.metadata.namespace}/${i.spec.app}`, i.spec.site)
    const inst = pool.instances.get(i.metadata.name)
    for (const sid of inst?.slots ?? []) if (sid) void this.end(sid, 'Lost', why)
  }

  /** The size the app controller last planned each pool with (appKey|site). */
  private planned = new Map<string, number>()

  /**
   * Wakes the app controller only when a pool's wanted size differs from the one it last planned
   * with (not on every allocation, nor on the first allocation of each site).
   */
  private notifyIfResized(app: App, site: string): void {
    const k = `${app.metadata.namespace}/${app.metadata.name}|${site}`
    if (this.planned.get(k) === this.wanted(app, site)) return
    this.o.onPoolChange(`${app.metadata.namespace}/${app.metadata.name}`, site)
  }

  /** Instances the app's pool in `site` should have (for the app controller, which plans with it). */
  desired(app: App, site: string): number {
    const d = this.wanted(app, site)
    this.planned.set(`${app.metadata.namespace}/${app.metadata.name}|${site}`, d)
    return d
  }

  private wanted(app: App, site: string): number {
    const cfg = SessionService.config(app)
    const pool = this.pools.get(`${app.metadata.namespace}/${app.metadata.name}|${site}`)
    return desiredInstances({ active: pool?.active ?? 0, waiting: pool?.waiters.length ?? 0, busyInstances: pool?.busyInstances ?? 0, recent: pool?.drain.recent(this.o.clock.now()) }, cfg)
  }

  /** Pools whose drain window is emptying: their wanted size falls, so the controller replans them. */
  private shrinkDrained(): void {
    const now = this.o.clock.now()
    for (const [k, pool] of this.draining) {
      const [ns, name] = pool.appKey.split('/')
      const app = this.o.apps.get(ns, name)
      if (app) this.notifyIfResized(app, pool.site)
      if (!app || pool.drain.recent(now) === 0) this.draining.delete(k)
    }
  }

  /** Idle instances of a pool that may stop now (idle long enough), most idle first. */
  removable(app: App, site: string): string[] {
    const cfg = SessionService.config(app)
    const pool = this.pools.get(`${app.metadata.namespace}/${app.metadata.name}|${site}`)
    if (!pool) return []
    const now = this.o.clock.now()
    return [...pool.instances.values()]
      // Idle long enough (a cold start whose caller gave up stays a while: the next caller gets it warm).
      .filter((i) => i.freeSlots.length === i.slots.length && i.idleSince !== undefined && now - i.idleSince >= cfg.scaleDownAfterSeconds * 1000)
      .sort((a, b) => Number(a.ready) - Number(b.ready) || (a.idleSince ?? 0) - (b.idleSince ?? 0) || (a.name < b.name ? -1 : 1))
      .map((i) => i.name)
  }

  private sitesMemo = new Map<string, { at: number; gen: number | undefined; sites: PoolSites }>()

  /** The sites a pool can use, sorted. */
  poolSites(app: App): string[] {
    return this.usableSites(app).sites
  }

  /** Whether the app's pool may use this site now (O(1): the controller asks it per changed site). */
  isPoolSite(app: App, site: string): boolean {
    return this.usableSites(app).pos.has(site)
  }

  /** Recomputed at most every 250 ms per app (this runs per allocation). */
  private usableSites(app: App): PoolSites {
    const k = `${app.metadata.namespace}/${app.metadata.name}`
    const now = this.o.clock.now()
    const m = this.sitesMemo.get(k)
    if (m && m.gen === app.metadata.generation && now - m.at < 250) return m.sites
    const sites = computePoolSites(this.o, app)
    this.sitesMemo.set(k, { at: now, gen: app.metadata.generation, sites })
    this.warm.get(k)?.refresh(sites.pos)
    return sites
  }

  async create(req: CreateSessionRequest, requestIp: string): Promise<SessionView> {
    const ns = req.namespace ?? 'default'
    const app = this.o.apps.get(ns, req.app)
    if (!app) throw new ApiError('NotFound', `app "${req.app}" not found in namespace "${ns}"`, { kind: 'App', name: req.app })
    if (!app.spec.sessions) throw new ApiError('BadRequest', `app "${req.app}" has no session pool: set spec.sessions`)
    const cfg = SessionService.config(app)
    const ttl = req.ttlSeconds ?? cfg.defaultTtlSeconds
    if (ttl > cfg.maxTtlSeconds) throw new ApiError('Invalid', `ttlSeconds: ${ttl} is above this app's maxTtlSeconds (${cfg.maxTtlSeconds})`, { causes: [{ field: 'ttlSeconds', message: `at most ${cfg.maxTtlSeconds}` }] })
    if (req.idempotencyKey) {
      const k = `${ns}/${req.app}/${req.idempotencyKey}`
      const seen = this.byKey.get(k)
      if (seen !== undefined) return typeof seen === 'string' ? this.view(seen, true) : seen
      const p = this.allocate(app, cfg, req, ttl, requestIp)
      this.byKey.set(k, p)
      try {
        const v = await p
        this.byKey.set(k, v.id)
        return v
      } catch (err) {
        this.byKey.delete(k)
        throw err
      }
    }
    return this.allocate(app, cfg, req, ttl, requestIp)
  }

  private async allocate(app: App, cfg: Required<SessionPool>, req: CreateSessionRequest, ttl: number, requestIp: string): Promise<SessionView> {
    const started = this.o.clock.now()
    const deadline = started + (req.deadlineMs ?? 2000)
    const ns = app.metadata.namespace!
    const appKey = `${ns}/${app.metadata.name}`
    const clientIp = req.clientIp ?? requestIp
    const from = req.location ?? (isIP(clientIp) ? this.o.geo.locate(clientIp).point : undefined)
    const usable = this.usableSites(app)
    if (!usable.sites.length) throw new ApiError('Unavailable', `no site can host "${app.metadata.name}" now (no ready site matches its placement)`, { retryAfterSeconds: 5 })
    const id = sessionId(this.o.clock.now())
    const here = from ? unitVector(from) : undefined
    const maxKm = here ? req.maxDistanceKm ?? cfg.maxDistanceKm : undefined
    // The candidates: the nearest usable site with a warm slot (found without ranking the fleet)
    // and the sites within the budget that are nearer than it (usually none); all of them only
    // when a refusal must say why each site was passed over.
    const warmSite = this.warm.get(appKey)?.nearest(here)
    let candidates = usable.sites
    if (here) {
      const floor = Math.max(warmSite === undefined ? -Infinity : closeness(here, usable.pos.get(warmSite) ?? undefined), kmCloseness(maxKm!))
      candidates = usable.all.within(here, floor)
      if (warmSite !== undefined && !candidates.includes(warmSite)) candidates.push(warmSite)
    } else if (warmSite !== undefined) candidates = [warmSite]
    let decision = placeSession(this.siteOptions(app, cfg, usable, here, candidates), { maxKm, leftMs: deadline - started })
    if ('refused' in decision && candidates !== usable.sites) decision = placeSession(this.siteOptions(app, cfg, usable, here, usable.sites), { maxKm, leftMs: deadline - started })
    let got: { pool: Pool; instance: PoolInstance; slot: number; start: 'warm' | 'cold' } | undefined
    const why: string[] = []
    if ('refused' in decision) {
      why.push(...decision.refused.slice(0, 8))
      if (decision.refused.length > 8) why.push(`and ${decision.refused.length - 8} more sites`)
    } else if (decision.start === 'warm') {
      const pool = this.pool(appKey, decision.site)
      const t = pool.take(id)
      if (t) got = { pool, ...t, start: 'warm' }
    } else {
      const site = decision.site
      const left = deadline - this.o.clock.now()
      if (left > 0) {
        const pool = this.pool(appKey, site)
        const waiting = pool.wait(id, left, this.o.clock, () => this.o.onPoolChange(appKey, site))
        this.o.onPoolChange(appKey, site)
        const slot = await waiting
        if (slot) got = { pool, ...slot, start: 'cold' }
        else why.push(`${site}: no warm slot, and a cold start did not finish within the ${req.deadlineMs ?? 2000} ms deadline (it goes on: retry shortly)`)
      } else why.push(`${site}: no warm slot and no time left for a cold start`)
    }
    if (!got) throw new ApiError('Unavailable', `no free slot for "${app.metadata.name}"${maxKm !== undefined ? ` within ${maxKm} km` : ''}: ${why.join('; ') || 'every site is full'}`, { retryAfterSeconds: 1 })
    got.pool.drain.take(this.o.clock.now())
    this.draining.set(`${appKey}|${got.pool.site}`, got.pool)
    const placed = decision as { reason: string; km?: number }

    const inst = this.o.instances.get(ns, got.instance.name)!
    const expiresAt = this.o.clock.now() + ttl * 1000
    const url = `${cfg.urlScheme}://${hostPort(got.instance.address, got.instance.port)}/`
    const session: Session = {
      apiVersion: API_VERSION, kind: 'Session',
      metadata: { name: id, namespace: ns, labels: { 'edgeplane.io/app': app.metadata.name, 'edgeplane.io/site': got.pool.site } },
      spec: {
        app: app.metadata.name, site: got.pool.site, node: got.instance.node, instance: got.instance.name, slot: got.slot,
        ...(req.clientIp ? { clientIp: req.clientIp } : {}), ...(req.location ? { location: req.location } : {}),
        ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}), ...(req.metadata ? { metadata: req.metadata } : {}),
      },
      status: {
        phase: 'Active', expiresAt: new Date(expiresAt).toISOString(), start: got.start, endpoint: { address: got.instance.address, port: got.instance.port, url },
        placement: { reason: placed.reason, ...(placed.km !== undefined ? { distanceKm: Math.round(placed.km) } : {}) },
      },
    }
    try {
      await this.o.store.create(session)
    } catch (err) {
      got.pool.free(got.instance.name, got.slot, id, this.o.clock.now())
      got.pool.serveWaiters()
      throw err
    }
    this.live.set(id, { ns, app: app.metadata.name, site: got.pool.site, instance: got.instance.name, slot: got.slot, expiresAt, sessionKey: inst.spec.sessionKey ?? '', ...(req.idempotencyKey ? { idemKey: `${ns}/${app.metadata.name}/${req.idempotencyKey}` } : {}) })
    // The pool just lost a free slot: top it up, when that changes the size it wants.
    this.notifyIfResized(app, got.pool.site)
    return this.toView(session, true)
  }

  /** The candidate sites as placement options, nearest first (ties and unknown positions by name). */
  private siteOptions(app: App, cfg: Required<SessionPool>, usable: PoolSites, here: UnitVector | undefined, sites: string[]): SiteOption[] {
    const appKey = `${app.metadata.namespace}/${app.metadata.name}`
    const slots = cfg.maxPerSite * cfg.slotsPerInstance
    return sites
      .map((s) => ({ s, c: closeness(here, usable.pos.get(s) ?? undefined) }))
      .sort((a, b) => b.c - a.c || (a.s < b.s ? -1 : 1))
      .map(({ s, c }) => {
        const pool = this.pool(appKey, s)
        const cold = this.coldStarts.expected(`${appKey}|${s}`)
        const waiting = pool.waiters.length
        return {
          site: s, km: c === -Infinity ? undefined : closenessKm(c), warm: pool.freeReadySlots > 0, coldMs: cold.ms, measured: cold.measured,
          full: pool.active + waiting + 1 > slots ? `all ${cfg.maxPerSite} instances busy${waiting ? ` (${waiting} callers waiting for a cold start)` : ''}` : undefined,
        }
      })
  }

  private sessionObj(id: string): Session | undefined {
    const l = this.live.get(id)
    if (l) return this.o.sessions.get(l.ns, id)
    return this.o.sessions.list().find((s) => s.metadata.name === id)
  }

  view(id: string, withToken = false): SessionView {
    const s = this.sessionObj(id)
    if (!s) throw new ApiError('NotFound', `session "${id}" not found`, { kind: 'Session', name: id })
    return this.toView(s, withToken)
  }

  private toView(s: Session, withToken: boolean): SessionView {
    const l = this.live.get(s.metadata.name)
    const active = s.status?.phase === 'Active' && !!l
    return {
      id: s.metadata.name, namespace: s.metadata.namespace!, app: s.spec.app, site: s.spec.site, node: s.spec.node,
      instance: s.spec.instance, slot: s.spec.slot, phase: s.status?.phase ?? 'Active', start: s.status?.start ?? 'warm',
      endpoint: s.status!.endpoint, expiresAt: l ? new Date(l.expiresAt).toISOString() : s.status!.expiresAt,
      ...(withToken && active ? { token: signSessionToken(l.sessionKey, { sid: s.metadata.name, inst: s.spec.instance, slot: s.spec.slot, exp: Math.floor(l.expiresAt / 1000) }) } : {}),
      ...(s.status?.reason ?? s.status?.placement?.reason ? { reason: s.status?.reason ?? s.status?.placement?.reason } : {}),
      ...(s.status?.placement ? { placement: s.status.placement } : {}),
    }
  }

  list(filter: { namespace?: string; app?: string } = {}): SessionView[] {
    return this.o.sessions.list()
      .filter((s) => (!filter.namespace || s.metadata.namespace === filter.namespace) && (!filter.app || s.spec.app === filter.app))
      .map((s) => this.toView(s, false))
  }

  /** Extends an active session; answers a fresh token (it carries the new expiry). */
  async renew(id: string, ttlSeconds?: number): Promise<SessionView> {
    const l = this.live.get(id)
    if (!l) {
      const s = this.sessionObj(id)
      if (!s) throw new ApiError('NotFound', `session "${id}" not found`, { kind: 'Session', name: id })
      throw new ApiError('Conflict', `session "${id}" is ${s.status?.phase?.toLowerCase()} and cannot be renewed${s.status?.reason ? ` (${s.status.reason})` : ''}`)
    }
    const app = this.o.apps.get(l.ns, l.app)
    const cfg = app ? SessionService.config(app) : SESSION_DEFAULTS
    const ttl = ttlSeconds ?? cfg.defaultTtlSeconds
    if (ttl > cfg.maxTtlSeconds) throw new ApiError('Invalid', `ttlSeconds: ${ttl} is above this app's maxTtlSeconds (${cfg.maxTtlSeconds})`)
    l.expiresAt = this.o.clock.now() + ttl * 1000
    await this.writeStatus(id, (st) => ({ ...st, expiresAt: new Date(l.expiresAt).toISOString() }))
    return this.view(id, true)
  }

  async release(id: string): Promise<SessionView> {
    if (!this.live.has(id)) return this.view(id)
    await this.end(id, 'Released', 'released by the caller')
    return this.view(id)
  }

  private forget(id: string): Live | undefined {
    const l = this.live.get(id)
    if (!l) return undefined
    this.live.delete(id)
    const pool = this.pools.get(`${l.ns}/${l.app}|${l.site}`)
    pool?.free(l.instance, l.slot, id, this.o.clock.now())
    pool?.serveWaiters()
    if (l.idemKey && this.byKey.get(l.idemKey) === id) this.byKey.delete(l.idemKey)
    const app = this.o.apps.get(l.ns, l.app)
    if (app) this.notifyIfResized(app, l.site)
    return l
  }

  private async end(id: string, phase: 'Released' | 'Expired' | 'Lost', reason: string, obj?: Session): Promise<void> {
    this.forget(id)
    try {
      await this.writeStatus(id, (st) => ({ ...st, phase, reason, endedAt: isoNow(this.o.clock) }), obj)
    } catch (err) {
      if (!isApiError(err, 'NotFound')) this.o.log.warn({ err, id }, 'session status not written')
    }
  }

  private async writeStatus(id: string, fn: (st: NonNullable<Session['status']>) => NonNullable<Session['status']>, obj?: Session): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const s = obj ?? this.sessionObj(id) ?? (await this.o.store.list<Session>('Session')).items.find((x) => x.metadata.name === id)
      if (!s?.status) return
      try {
        await this.o.store.update({ ...s, status: fn(s.status) }, { subresource: 'status' })
        return
      } catch (err) {
        if (!isApiError(err, 'Conflict') || attempt > 3) throw err
        obj = undefined
      }
    }
  }

  private lastGc = 0

  /**
   * Ends sessions past their expiry (their slots free at once), every second; deletes ended ones
   * after an hour, checked once a minute (a walk of every session, too much to do every second).
   */
  private expire(): void {
    const now = this.o.clock.now()
    // No copy of the map: end() deletes the entry at hand, which a Map iteration allows.
    for (const [id, l] of this.live) if (l.expiresAt <= now) void this.end(id, 'Expired', 'its time to live ran out')
    if (now - this.lastGc < 60_000) return
    this.lastGc = now
    for (const s of this.o.sessions.list()) {
      if (s.status?.phase !== 'Active' && s.status?.endedAt && now - Date.parse(s.status.endedAt) > 3600_000) {
        void this.o.store.delete('Session', s.metadata.namespace, s.metadata.name).catch(() => undefined)
      }
    }
  }
}

/**
 * A session's name: its creation time first (ms, hex), then 64 random bits. Time-ordered names land
 * next to each other in the store's index, so a batch of new sessions dirties one or two pages, not
 * one page each (random names cost ~25% more CPU per durable create, measured at 30,000 sessions).
 */
export function sessionId(nowMs: number): string {
  return `s${Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0')}${randomHex(8)}`
}
