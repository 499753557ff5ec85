// Composition root of `edgeplane server`: store, credentials, caches, link hub, controllers, HTTP.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { App, Instance, Node, Revision, Session, Site } from '../api/kinds/index.js'
import { LINK_ADMISSION_RATE, LINK_BACKOFF } from '../api/link.js'
import { systemClock, type Clock } from '../lib/clock.js'
import { createLogger, type Logger } from '../lib/log.js'
import { watchLoopLag } from '../lib/loop-lag.js'
import { Cache } from '../store/cache.js'
import { openServerStore } from '../store/open.js'
import { startReplication } from './ha/replication.js'
import type { Store } from '../store/types.js'
import { AppController } from '../controllers/app-controller.js'
import { EventRecorder } from '../controllers/events.js'
import { NodeLifecycle } from '../controllers/node-lifecycle.js'
import { SiteStatusController } from '../controllers/site-status.js'
import { TokenService } from './auth/token-service.js'
import { buildHttpApp } from './http/app.js'
import { DesiredIndex } from './link/desired-index.js'
import { LinkHub } from './link/hub.js'
import { ImageDistribution } from './images/distribution.js'
import { StatusWriter } from './link/status-writer.js'
import { ServerMetrics } from './metrics.js'
import { startCompactor } from './compactor.js'
import { createGeoLocator } from '../routing/geo/locator.js'
import { RoutingTable } from '../routing/table.js'
import { createDnsServer } from './dns.js'
import type { DnsServer } from '../routing/dns/server.js'
import { SessionService } from '../sessions/service.js'
import { VERSION } from '../version.js'
import { ensurePki, loadOperatorTls, serverNames } from './tls/pki.js'
import { ticketOptions } from './tls/ticket-keys.js'
import { AcceptGate } from './link/accept-gate.js'
import { ensurePeerKey } from './peer-key.js'
import { registryDigestResolver } from './registry/resolve-digest.js'
import type { DigestResolver } from '../controllers/app/image-pinning.js'
import { PeerGrants } from './link/peer-grants.js'
import { tightenDataDir } from './data-dir.js'
import { decodePeerKey } from '../agent/gateway/peer-proof.js'

/** Pending connections the kernel holds for the server (capped by net.core.somaxconn). */
const LISTEN_BACKLOG = 8192
/** Accepted connections wait at most about this long for their turn (agents' dials time out at 30 s). */
const ACCEPT_QUEUE_SECONDS = 20

export interface ServerOptions {
  dataDir: string
  /** host:port; port 0 picks a free one. */
  listen?: string
  /** A store to use instead of SQLite in dataDir (tests). */
  store?: Store
  clock?: Clock
  log?: Logger
  heartbeatSeconds?: number
  nodeGraceSeconds?: number
  bodyLimit?: number
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default a minute). */
  watchBookmarkIntervalMs?: number
  /** Bytes a watch connection may leave unread before it is cut (default 16 MiB). */
  watchBufferBytes?: number
  /**
   * TLS for the API and the link: 'auto' (default) creates a CA and certificate in DATA_DIR/pki;
   * 'files' takes the operator's; 'off' is plain HTTP, allowed only on a loopback address.
   */
  tls?: { mode: 'auto'; sans?: string[] } | { mode: 'files'; cert: string; key: string; ca?: string } | { mode: 'off' }
  /** Lifetime of node credentials; agents rotate them after two thirds of it. */
  nodeCredentialTtlSeconds?: number
  /** Agent hellos admitted per second (reconnect storms are let in at this pace). */
  linkAdmissionRate?: number
  /** Authoritative DNS (UDP and TCP) on HOST:PORT; none when unset. */
  dnsListen?: string
  dnsZone?: string
  /** TTL of DNS answers in seconds (short, so failover reaches clients fast). */
  dnsTtl?: number
  /** `NAME=IP` name servers of the zone (glue answered in-zone); default ns1.<zone> at the listen IP. */
  dnsNameServers?: string[]
  dnsSoaMname?: string
  dnsHostmaster?: string
  /** Addresses per DNS answer: 1 (default) or 2. */
  dnsAnswers?: number
  /** NSID (RFC 5001) answered to clients that ask. */
  dnsNsid?: string
  /** Operator geo rules (YAML list of {cidr, lat, lon, region?}); they win over the database. */
  geoRules?: string
  /** A MaxMind-format database (country or city); default the bundled CC0 country database. */
  geoDatabase?: string
  /** postgres://… (several servers may share it), sqlite:///path or memory; default DATA_DIR/edgeplane.db. */
  storeUrl?: string
  /** This server's id among the servers sharing a database (default host-pid-random). */
  serverId?: string
  /** The central registry site caches proxy (http://host:port or https://host:port). */
  centralRegistry?: string
  /** Registries container images may come from (undefined: any); anything else is refused with a 422. */
  allowedRegistries?: string[]
  /** Registries spoken to over plain HTTP when tags are resolved to digests (loopback ones always are). */
  insecureRegistries?: string[]
  /** Resolves image tags to digests when Revisions are made (default: the OCI distribution API). */
  resolveDigest?: DigestResolver
}

export interface RunningServer {
  url: string
  host: string
  port: number
  store: Store
  tokens: TokenService
  hub: LinkHub
  app: FastifyInstance
  adminTokenPath: string
  routing: RoutingTable
  /** The DNS server's addresses, when it listens. */
  dns?: { udp?: AddressInfo; tcp?: AddressInfo; server: DnsServer }
  /** PEM of the CA clients and agents trust (undefined when TLS is off). */
  ca?: string
  caFingerprint?: string
  /** The app controller's queue, for tests that wait for reconciles to settle. */
  controllers: { apps: AppController; nodes: NodeLifecycle; sites: SiteStatusController }
  statusWriter: StatusWriter
  /** Image distribution (site caches, pre-pulls). */
  images: ImageDistribution
  close(): Promise<void>
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(s.trim())
  if (!m) throw new Error(`cannot read "${s}" as HOST:PORT`)
  const port = m[2] === undefined ? defaultPort : Number(m[2])
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${s}": port must be 0–65535`)
  return { host: m[1] || '127.0.0.1', port }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const clock = opts.clock ?? systemClock
  const log = opts.log ?? createLogger('server')
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
  const { host, port } = parseHostPort(opts.listen ?? '127.0.0.1:7420', 7420)
  const tlsMode = opts.tls ?? { mode: 'auto' }
  if (tlsMode.mode === 'off' && !isLoopback(host)) {
    throw new Error(`plain HTTP is allowed only on a loopback address, not ${host}: drop --insecure-http, or listen on 127.0.0.1`)
  }
  const tls = tlsMode.mode === 'auto' ? await ensurePki(opts.dataDir, serverNames(host, tlsMode.sans))
    : tlsMode.mode === 'files' ? loadOperatorTls(tlsMode.cert, tlsMode.key, tlsMode.ca) : undefined
  const store = opts.store ?? await openServerStore(opts.storeUrl, opts.dataDir, { clock })
  const tokens = new TokenService(store, clock, { caFingerprint: tls?.caFingerprint, nodeCredentialTtlSeconds: opts.nodeCredentialTtlSeconds })
  const admin = await tokens.ensureAdmin(opts.dataDir)
  await tokens.startCache()
  ensurePeerKey(opts.dataDir)
  tightenDataDir(opts.dataDir, log)
  if (admin.created) log.info({ path: admin.path }, 'admin token created; it is in this file (read it once, keep it safe)')

  const apps = new Cache<App>(store, 'App')
  const sites = new Cache<Site>(store, 'Site')
  const nodes = new Cache<Node>(store, 'Node')
  const instances = new Cache<Instance>(store, 'Instance')
  const revisions = new Cache<Revision>(store, 'Revision')
  const sessionCache = new Cache<Session>(store, 'Session')
  for (const c of [apps, sites, nodes, instances, revisions, sessionCache] as Cache[]) {
    c.onRelistError = (err) => log.warn({ err, kind: c.kind }, 'cache relist failed; retrying')
    c.onHandlerError = (err) => log.error({ err, kind: c.kind }, 'a cache handler failed on an event')
  }
  await Promise.all([apps.start(), sites.start(), nodes.start(), instances.start(), revisions.start(), sessionCache.start()])

  const index = new DesiredIndex(instances.revision)
  for (const i of instances.list()) index.onInstanceEvent({ type: 'ADDED', object: i, revision: instances.revision }, undefined)
  // Inline: a committed change goes out to the nodes before the controllers look at it.
  instances.on((ev, prev) => index.onInstanceEvent(ev, prev), { inline: true })

  const metrics = new ServerMetrics()
  const events = new EventRecorder({ store, clock, log, component: 'edgeplane-server' })
  const statusWriter = new StatusWriter(store, instances, log)
  const heartbeatSeconds = opts.heartbeatSeconds ?? 4
  const geo = createGeoLocator({ rulesFile: opts.geoRules, ...(opts.geoDatabase ? { mmdbFile: opts.geoDatabase } : {}) })
  let routing!: RoutingTable
  let hub!: LinkHub
  const images = new ImageDistribution({ log, centralRegistry: opts.centralRegistry, site: (name) => sites.get(undefined, name), send: (node, msg) => hub.sendTo(node, msg) })
  hub = new LinkHub({
    store, clock, log, index, status: statusWriter, heartbeatSeconds, admissionRate: opts.linkAdmissionRate, graceMs: (opts.nodeGraceSeconds ?? 8) * 1000,
    routesFor: (site) => routing.siteRoutes(site), peerGrants: new PeerGrants(decodePeerKey(ensurePeerKey(opts.dataDir))!, clock), events,
    known: { site: (name) => sites.get(undefined, name), node: (name) => nodes.get(undefined, name) },
    onTraffic: (site, reports, interval) => routing.recordTraffic(site, reports, interval),
    images,
  })
  // Several servers on one database: shared link presence, controllers on the elected leader only.
  const replication = startReplication({ store, hub, clock, log, server: opts.serverId })
  const links = replication.links
  routing = new RoutingTable({ apps, sites, nodes, instances, links, geo, clock })
  routing.start()
  routing.onChange(() => hub.pushRoutes())

  let appController!: AppController
  const sessions = new SessionService({
    store, clock, log, apps, sites, nodes, instances, sessions: sessionCache, geo,
    connected: (node) => !!links.stats.get(node)?.connected,
    onPoolChange: (appKey, site) => appController?.poolChanged(appKey, site),
  })
  sessions.start()
  let nodeLifecycle!: NodeLifecycle
  let siteStatus!: SiteStatusController
  // The controllers (and compaction, event GC) run on one server at a time: the leader, see ha/.
  const cstore = replication.controllerStore
  replication.runControllers(() => {
    appController = new AppController({
      store: cstore, clock, log, events, apps, sites, nodes, instances, revisions, pools: sessions,
      errorRate: (site, host) => routing.errorRate(site, host),
      // One capacity signal (DESIGN principle 6): the gateways' demand and load feed the scheduler.
      demand: (a) => (a.spec.traffic ? routing.demand.points(a.spec.traffic.host) : []),
      observed: (host) => routing.observed(host),
      images,
      resolveDigest: opts.resolveDigest ?? registryDigestResolver({ insecureRegistries: opts.insecureRegistries }),
    })
    nodeLifecycle = new NodeLifecycle({ store: cstore, clock, log, events, nodes, instances, links, graceMs: (opts.nodeGraceSeconds ?? 8) * 1000,
      // After a restart the fleet needs its backoff and its admission to come back: nodes from before are judged after that.
      reconnectSpreadMs: LINK_BACKOFF.maxMs, admissionRate: opts.linkAdmissionRate ?? LINK_ADMISSION_RATE,
    })
    siteStatus = new SiteStatusController({ store: cstore, clock, log, sites, nodes })
    appController.start()
    nodeLifecycle.start()
    siteStatus.start()
    events.startGc()
    const compactor = startCompactor(cstore, clock, log)
    return { stop: () => { compactor.cancel(); appController.stop(); nodeLifecycle.stop(); siteStatus.stop(); events.stop() } }
  })

  const streams = new Set<() => void>()
  const app = await buildHttpApp({ store, tokens, hub, routing, sessions, log, metrics, version: VERSION, bodyLimit: opts.bodyLimit, streams, allowedRegistries: opts.allowedRegistries, bookmarkIntervalMs: opts.watchBookmarkIntervalMs, watchBufferBytes: opts.watchBufferBytes, ...(tls ? { https: { cert: tls.cert, key: tls.key, ...ticketOptions(opts.dataDir) }, caPem: tls.ca } : {}) })
  // Connections in at the pace links are admitted (a restarted server meets its whole fleet at once).
  const acceptRate = opts.linkAdmissionRate ?? LINK_ADMISSION_RATE
  const gate = new AcceptGate({
    clock, ratePerSecond: acceptRate, burst: 2 * acceptRate, maxQueued: ACCEPT_QUEUE_SECONDS * acceptRate,
    onShed: (closed) => log.warn({ closed }, 'too many connections at once: closed the excess (agents back off and retry)'),
  })
  gate.install(app.server)
  metrics.exportAcceptGate(() => gate.stats)
  // The kernel holds connections until they are accepted: with Node's backlog of 511 it dropped the
  // rest of a storm, and their SYN retries (1, 3, 7, 15 s…) made its tail.
  await app.listen({ host, port, backlog: LISTEN_BACKLOG })
  const addr = app.server.address() as AddressInfo
  const url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  log.info({ url, dataDir: opts.dataDir, store: store.driver }, 'edgeplane server listening')
  let dns: RunningServer['dns']
  metrics.exportDns(() => dns?.server.stats)
  if (opts.dnsListen) {
    try {
      const server = createDnsServer({
        listen: opts.dnsListen, zone: opts.dnsZone, ttl: opts.dnsTtl, nameServers: opts.dnsNameServers,
        soaMname: opts.dnsSoaMname, hostmaster: opts.dnsHostmaster, answers: opts.dnsAnswers, nsid: opts.dnsNsid,
      }, routing, log)
      dns = { ...(await server.listen({ udp: opts.dnsListen, tcp: opts.dnsListen })), server }
    } catch (err) {
      await app.close()
      throw err
    }
  }

  const stopLagWatch = watchLoopLag(log)
  let closed = false
  return {
    url, host: addr.address, port: addr.port, store, tokens, hub, app, adminTokenPath: admin.path, routing, dns, ca: tls?.ca, caFingerprint: tls?.caFingerprint,
    get controllers() { return { apps: appController, nodes: nodeLifecycle, sites: siteStatus } },
    statusWriter, images,
    async close() {
      stopLagWatch()
      if (closed) return
      closed = true
      await replication.stop()
      sessions.stop()
      hub.close()
      gate.stop()
      await dns?.server.close()
      for (const end of [...streams]) end()
      await app.close()
      for (const c of [apps, sites, nodes, instances, revisions, sessionCache]) c.stop()
      tokens.stopCache()
      await statusWriter.flushed()
      if (!opts.store) await store.close()
    },
  }
}
