// Composition root of `edgeplane agent`: credential, local state, runtime, reconciler, link.
// What a node may not use is loaded when it does (gateway, metrics, log relay, the HTTP client for
// join and rotation): every module costs an edge node memory for as long as the agent runs.
// The agent never stops a workload because the server is unreachable: it starts from its last
// desired state on disk and only changes what the server's newer documents really change.
import { mkdirSync } from 'node:fs'
import { hostname, platform } from 'node:os'
import { join } from 'node:path'
import { ApiError } from '../api/errors.js'
import type { HelloMessage, ServerMessage, SiteRegistration } from '../api/link.js'
import type { HttpClient } from '../lib/http-client.js'
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import { createSmallLogger } from '../lib/small-log.js'
import { VERSION } from '../version.js'
import { loadOrJoin, rotate, rotationDue, trustedCa, type Credential } from './credentials.js'
import { applyDesired } from './diff.js'
import { detectCapacity, UsageMeter } from './host-info.js'
import { LinkClient, serverUrls } from './link-client.js'
import { LocalState } from './local-state.js'
import type { LogRelay } from './log-relay.js'
import { Reconciler } from './reconciler.js'
import { ProcessDriver } from './runtime/process-driver.js'
import { ContainerDriver, type ContainerDriverOptions } from './runtime/container/container-driver.js'
import { PortAllocator } from './runtime/ports.js'
import { StatusReporter } from './status-reporter.js'
import { AgentGatewayTable } from './gateway-table.js'
import type { SiteGateway } from './gateway/gateway.js'
import type { GatewayLimits } from './gateway/options.js'
import type { Server } from 'node:http'
import { NodeImages } from './images/node-images.js'

export interface AgentOptions {
  server: string
  joinToken?: string
  dataDir: string
  site: SiteRegistration
  name?: string
  address?: string
  labels?: Record<string, string>
  capacity?: { cpu?: string; memory?: string }
  portRange?: { min: number; max: number }
  /** Where relative workingDir paths of templates resolve (default: the agent's cwd). */
  baseDir?: string
  maxLogBytes?: number
  /** Accept a desired document older than the one held (after restoring the server from a backup). */
  acceptOlderDesired?: boolean
  /** The server's CA, when not pinned through the join token. */
  caFile?: string
  /** Run the site gateway on HOST:PORT. */
  gateway?: string
  /** Serve Prometheus /metrics on HOST:PORT. */
  metricsListen?: string
  gatewayLimits?: Partial<GatewayLimits>
  /** Run the site's pull-through registry cache on HOST:PORT (the node's address). */
  registryCache?: string
  /** podman's global options for pre-pulls (a storage of its own, e.g. in tests). */
  podmanArgs?: string[]
  /** The container runtime's settings (podman binary, where images are pulled from). */
  containers?: Omit<ContainerDriverOptions, 'clock' | 'node'>
  clock?: Clock
  random?: () => number
  log?: Logger
}

export interface RunningAgent {
  node: string
  /** Resolves when the first desired document from the server has been applied. */
  synced: Promise<void>
  reconciler: Reconciler
  link: LinkClient
  state: LocalState
  gateway?: SiteGateway
  /** Stops the agent; instances keep running unless stopInstances is set. */
  stop(opts?: { stopInstances?: boolean }): Promise<void>
}

export function defaultNodeName(site: string): string {
  return `${site}-${hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63)
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const clock = o.clock ?? systemClock
  const random = o.random ?? Math.random
  const log = o.log ?? createSmallLogger('agent')
  const node = o.name ?? defaultNodeName(o.site.name)
  const address = o.address ?? '127.0.0.1'
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 })
  const logDir = join(o.dataDir, 'logs')
  mkdirSync(logDir, { recursive: true })

  const state = new LocalState(o.dataDir, node)
  let gatewayTable: AgentGatewayTable | undefined
  let refreshQueued = false
  // Local readiness changes reach the gateway's table at once, without waiting for the server.
  const scheduleTableRefresh = () => {
    if (refreshQueued) return
    refreshQueued = true
    queueMicrotask(() => { refreshQueued = false; gatewayTable?.refresh() })
  }
  const ports = new PortAllocator({ host: address, ...(o.portRange ?? {}) })
  const driver = new ProcessDriver({ clock })
  let containers: ContainerDriver | undefined
  // Made on the first container instance: a node that runs none never needs podman.
  const containerDriver = () => (containers ??= new ContainerDriver({ clock, node, ...o.containers }))
  let reporter: StatusReporter | undefined
  const reconciler = new Reconciler({
    state, driver, containerDriver, ports, clock, log, node, site: o.site.name, address, logDir,
    maxLogBytes: o.maxLogBytes ?? 10 * 1024 * 1024, baseDir: o.baseDir ?? process.cwd(),
    onStatus: (uid) => { reporter?.changed(uid); scheduleTableRefresh() },
  })
  // Autonomy first: bring back what was desired before anything else, server or not.
  await reconciler.apply(state.state.desired.instances)

  // The gateway serves from its last routes on disk until the server sends new ones.
  const table = new AgentGatewayTable(o.dataDir, (id) => reconciler.readyById(id))
  gatewayTable = table
  let gateway: SiteGateway | undefined
  let gatewayState: { address: string; healthy: boolean; message?: string } | undefined
  if (o.gateway) {
    const { SiteGateway } = await import('./gateway/gateway.js')
    gateway = new SiteGateway({ listen: o.gateway, table, site: o.site.name, clock, log, limits: o.gatewayLimits })
    try {
      await gateway.start()
      gatewayState = { address: advertised(gateway.address(), address), healthy: true }
    } catch (err) {
      // The node still runs its instances; the server learns that this site's gateway is down.
      log.error({ err: (err as Error).message, listen: o.gateway }, 'site gateway failed to start')
      gatewayState = { address: o.gateway, healthy: false, message: (err as Error).message }
      gateway = undefined
    }
  }

  let cred!: Credential
  let ca: string | undefined
  let joinServer = o.server
  let http: HttpClient | undefined
  // Rare calls (join, rotation): made when needed, with no idle connection kept open on a thin link.
  const httpClient = async (): Promise<HttpClient> => {
    if (!http) http = new (await import('../lib/http-client.js')).HttpClient({ baseUrl: joinServer, ca, keepAlive: false })
    return http
  }
  for (let attempt = 0; ; attempt++) {
    try {
      // Several servers (comma-separated) share one CA and database: join through one, in turn.
      const servers = serverUrls(o.server)
      joinServer = servers[attempt % servers.length]
      ca = await trustedCa({ dataDir: o.dataDir, server: joinServer, joinToken: o.joinToken, caFile: o.caFile })
      await http?.close()
      http = undefined
      cred = await loadOrJoin({ dataDir: o.dataDir, http: httpClient, joinToken: o.joinToken, node, site: o.site.name, now: clock.now() })
      break
    } catch (err) {
      // Joining needs the server; a node that has not joined yet waits for it, others never do.
      if (!(err instanceof ApiError && err.retryable)) throw err
      log.warn({ err: err.message }, 'cannot join yet; retrying')
      await new Promise<void>((r) => clock.setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)))
    }
  }

  const capacity = detectCapacity(o.capacity)
  const usage = new UsageMeter()
  let resolveSynced!: () => void
  const synced = new Promise<void>((r) => { resolveSynced = r })
  let link!: LinkClient
  const images = new NodeImages({
    dataDir: o.dataDir, clock, log, address, registryCache: o.registryCache, podmanArgs: o.podmanArgs,
    onCacheState: (registryCache) => link?.send({ t: 'status', instances: [], registryCache }),
    onPulls: (reports) => link?.send({ t: 'image-status', images: reports }),
  })
  images.start()
  let relay: LogRelay | undefined
  const openLog = async (req: number, uid: string, follow: boolean, tailLines?: number) => {
    relay ??= new (await import('./log-relay.js')).LogRelay((m) => link.send(m), (uid) => reconciler.logFileOf(uid))
    relay.start(req, uid, follow, tailLines)
  }
  reporter = new StatusReporter({
    clock,
    send: (instances) => link.send({ t: 'status', instances }),
    report: (uid) => reconciler.report(uid),
    all: () => reconciler.reports(),
  })

  const hello = (): HelloMessage => ({
    t: 'hello', node, site: o.site, address, capacity, ...(o.labels ? { labels: o.labels } : {}),
    desiredVersion: state.state.desired.version,
    agent: { version: VERSION, pid: process.pid, os: platform() },
    ...(gatewayState ? { gateway: gatewayState } : {}),
    ...(images.cache ? { registryCache: images.cache.state } : {}),
  })

  let staleWarned = false
  const onMessage = (msg: ServerMessage) => {
    switch (msg.t) {
      case 'welcome':
        reporter!.resendAll()
        if (images.puller.reports().length) link.send({ t: 'image-status', images: images.puller.reports() })
        return
      case 'images':
        images.apply(msg)
        return
      case 'desired': {
        const current = state.state.desired
        if (msg.version < current.version && !o.acceptOlderDesired) {
          // A server restored from an older backup must not roll this node back silently.
          if (!staleWarned) log.error({ held: current.version, offered: msg.version }, 'server offers an older desired state than this node holds; keeping the current one (restart the agent with --accept-older-desired to take it)')
          staleWarned = true
          return
        }
        const next = applyDesired(current, msg)
        if (!next) {
          link.send({ t: 'resync', version: current.version })
          return
        }
        staleWarned = false
        state.state.desired = next
        state.save()
        void reconciler.apply(next.instances).then(() => {
          link.send({ t: 'ack', version: next.version })
          resolveSynced()
        })
        return
      }
      case 'log-open':
        void openLog(msg.req, msg.uid, msg.follow, msg.tailLines)
        return
      case 'log-close':
        relay?.close(msg.req)
        return
      case 'routes':
        table.replace(msg.routes, msg.peer)
    }
  }

  link = new LinkClient({
    serverUrl: o.server, credential: () => cred.credential, clock, random, log, hello, onMessage,
    onDown: () => relay?.closeAll(), ca,
  })
  link.start()

  // Credentials are rotated well before they expire; a failure is retried on the next beat.
  const maybeRotate = async () => {
    if (!rotationDue(cred, clock.now())) return
    try {
      cred = await rotate({ dataDir: o.dataDir, http: await httpClient(), current: cred, now: clock.now() })
      log.info({ expiresAt: cred.expiresAt }, 'node credential rotated')
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'credential rotation failed; will retry')
    }
  }
  void maybeRotate()

  let metricsServer: Server | undefined
  if (o.metricsListen) {
    const m = /^\[?(.*?)\]?:(\d+)$/.exec(o.metricsListen)
    if (!m) throw new Error(`--metrics-listen "${o.metricsListen}": use HOST:PORT`)
    const { agentRegistry, serveMetrics } = await import('./metrics.js')
    metricsServer = await serveMetrics(agentRegistry({
      reports: () => reconciler.reports(), linkUp: () => link.connected, desiredVersion: () => state.state.desired.version,
      ...(gateway ? { gateway: () => gateway!.metrics() } : {}),
    }), { host: m[1], port: Number(m[2]) })
  }

  // Usage, log capping and credential rotation on a slow beat.
  let beat: TimerHandle | undefined
  let lastUsage = ''
  const tick = () => {
    beat = clock.setTimeout(() => {
      reconciler.capLogs()
      const u = usage.sample(reconciler.pids(), clock.now())
      const key = `${Math.round(u.cpu / 50)}:${Math.round(u.memory / (8 << 20))}`
      // Only meaningful changes travel: an idle node stays quiet on the wire.
      if (key !== lastUsage && link.send({ t: 'status', instances: [], usage: u })) lastUsage = key
      void maybeRotate()
      tick()
    }, 10_000)
  }
  tick()

  // What the gateway saw, every few seconds when there was traffic (an idle site stays quiet).
  let trafficBeat: TimerHandle | undefined
  const TRAFFIC_MS = 5000
  const trafficTick = () => {
    trafficBeat = clock.setTimeout(() => {
      const reports = gateway?.drainReports().filter((r) => r.requests > 0 || r.rejected > 0 || r.inflight > 0) ?? []
      if (reports.length) link.send({ t: 'traffic', intervalSeconds: TRAFFIC_MS / 1000, reports })
      trafficTick()
    }, TRAFFIC_MS)
  }
  if (gateway) trafficTick()

  return {
    node, synced, reconciler, link, state, gateway,
    async stop(opts = {}) {
      beat?.cancel()
      trafficBeat?.cancel()
      await gateway?.stop()
      metricsServer?.close()
      reporter!.stop()
      relay?.closeAll()
      link.stop()
      await images.stop()
      await http?.close()
      if (opts.stopInstances) await reconciler.stopAll()
      else await reconciler.settled()
    },
  }
}

/** The address other sites and DNS use for this gateway: the node's address when bound to all. */
function advertised(bound: string, nodeAddress: string): string {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(bound)
  if (!m) return bound
  const host = m[1] === '0.0.0.0' || m[1] === '::' ? nodeAddress : m[1]
  return host.includes(':') ? `[${host}]:${m[2]}` : `${host}:${m[2]}`
}
