// A fleet of hollow nodes in one process: joins them (the real join exchange, CA pinned through the
// join token), connects them over the real link, and injects faults by site. The engine of
// `edgeplane sim`, of bench/scale and of multi-site tests.
//
//   const fleet = await startFleet({ server, joinToken, sites: 1000, seed: 7 })
//   fleet.partition(fleet.pick(100), { mode: 'silent' }); … fleet.heal(…); await fleet.stop()
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createSecureContext } from 'node:tls'
import { join } from 'node:path'
import { ApiError } from '../api/errors.js'
import { requestCredential, trustedCa, type Credential } from '../agent/credentials.js'
import { writeFileAtomic } from '../lib/fs.js'
import { HttpClient } from '../lib/http-client.js'
import { createLogger, type Logger } from '../lib/log.js'
import { HollowNode, newCounters, type FleetCounters, type HollowRuntime, type NodeStats, type PartitionMode } from './hollow-node.js'
import { rngFor, sample } from '../lib/rng.js'
import { Ticker } from './ticker.js'
import { generateSites, type SimSite } from './world.js'

export interface FleetOptions {
  server: string
  /** Needed for nodes without a saved credential (`edgeplane token create --join --max-uses N`). */
  joinToken?: string
  sites: number
  nodesPerSite?: number
  seed?: string | number
  /** The server's CA, when not pinned through the join token. */
  caFile?: string
  /** Keeps the CA and node credentials, so a restarted simulator reuses its nodes. Default: a temp dir removed on stop. */
  dataDir?: string
  runtime?: Partial<HollowRuntime>
  statusBatchMs?: number
  usageIntervalMs?: number
  backoff?: { initialMs: number; maxMs: number }
  /** The first node of each site advertises a (hollow) site gateway. Default true. */
  gateways?: boolean
  joinConcurrency?: number
  tickMs?: number
  log?: Logger
  /** 'connected' (default): resolve once every link is up; 'started': once every node is dialing. */
  wait?: 'connected' | 'started'
  waitTimeoutMs?: number
}

export interface FleetStats extends FleetCounters {
  sites: number
  nodes: number
  connected: number
  dead: number
  partitioned: number
  instances: number
  ready: number
  /** Link ups beyond each node's first. */
  reconnects: number
  minVersion: number
  maxVersion: number
}

export interface FlapHandle { stop(): void; done: Promise<void> }

export class Fleet extends EventEmitter {
  readonly counters = newCounters()
  readonly ticker: Ticker
  private bySite = new Map<string, HollowNode[]>()
  private byName = new Map<string, HollowNode>()
  private usageTimer: NodeJS.Timeout | undefined
  private picks = 0
  private stopped = false

  constructor(readonly world: SimSite[], readonly seed: string | number, tickMs: number, private readonly cleanup: () => Promise<void>) {
    super()
    this.setMaxListeners(0)
    this.ticker = new Ticker(tickMs)
  }

  /** @internal */
  add(node: HollowNode): void {
    this.byName.set(node.name, node)
    const list = this.bySite.get(node.site)
    if (list) list.push(node)
    else this.bySite.set(node.site, [node])
  }

  /** @internal Usage on a slow beat, a slice of the fleet per second (no per-node timer). */
  startUsageBeat(intervalMs: number): void {
    const slices = Math.max(1, Math.round(intervalMs / 1000))
    let turn = 0
    this.usageTimer = setInterval(() => {
      const nodes = [...this.byName.values()]
      for (let i = turn % slices; i < nodes.length; i += slices) nodes[i].usageBeat()
      turn++
    }, Math.min(1000, intervalMs))
    this.usageTimer.unref()
  }

  get siteNames(): string[] { return this.world.map((s) => s.registration.name) }
  get nodes(): HollowNode[] { return [...this.byName.values()] }
  node(name: string): HollowNode | undefined { return this.byName.get(name) }
  nodesOf(site: string): HollowNode[] { return this.bySite.get(site) ?? [] }

  /** `count` sites (or a fraction of the fleet when < 1), chosen by the seed; `exclude` keeps some out. */
  pick(count: number, opts: { exclude?: Iterable<string> } = {}): string[] {
    const n = count < 1 ? Math.round(count * this.world.length) : count
    const excluded = new Set(opts.exclude ?? [])
    const pool = this.siteNames.filter((s) => !excluded.has(s))
    return sample(pool, n, rngFor(this.seed, `pick-${this.picks++}`)).sort()
  }

  private each(sites: Iterable<string>, fn: (n: HollowNode) => void): void {
    for (const s of sites) {
      const nodes = this.bySite.get(s)
      if (!nodes) throw new Error(`no simulated site "${s}"`)
      for (const n of nodes) fn(n)
    }
  }

  /** Cuts these sites off: 'closed' (default) resets their links, 'silent' drops everything both ways. */
  partition(sites: Iterable<string>, opts: { mode?: PartitionMode } = {}): void {
    this.each(sites, (n) => n.partition(opts.mode ?? 'closed'))
  }

  heal(sites: Iterable<string>): void { this.each(sites, (n) => n.heal()) }

  /** Kills these sites: silent (default false) like lost power, else like a crashed agent (connection closed). */
  kill(sites: Iterable<string>, opts: { silent?: boolean } = {}): void {
    this.each(sites, (n) => n.kill(opts.silent ? 'silent' : 'closed'))
  }

  /** Brings killed sites back (instances re-adopted, as they were). */
  revive(sites: Iterable<string>): void { this.each(sites, (n) => n.revive()) }

  /** Partitions and heals these sites `cycles` times (default: until stopped). */
  flap(sites: Iterable<string>, opts: { downMs: number; upMs: number; cycles?: number; mode?: PartitionMode }): FlapHandle {
    const list = [...sites]
    let stopped = false
    let left = opts.cycles ?? Infinity
    let finish!: () => void
    const done = new Promise<void>((r) => { finish = r })
    const down = () => {
      if (stopped || left-- <= 0) { finish(); return }
      this.partition(list, { mode: opts.mode })
      this.ticker.setTimeout(up, opts.downMs)
    }
    const up = () => {
      this.heal(list)
      if (stopped) { finish(); return }
      this.ticker.setTimeout(down, opts.upMs)
    }
    down()
    return { stop: () => { stopped = true; this.heal(list); finish() }, done }
  }

  /** Delays what these sites send by ms (+ up to jitterMs at random), in order. */
  setLatency(sites: Iterable<string>, ms: number, jitterMs = 0): void {
    this.each(sites, (n) => { n.latencyMs = ms; n.jitterMs = jitterMs })
  }

  /** Drops this fraction (0–1) of what these sites send, pongs included. */
  setLoss(sites: Iterable<string>, fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new Error('loss must be between 0 and 1')
    this.each(sites, (n) => { n.loss = fraction })
  }

  /** Every instance on these sites crashes once and restarts (counted in instanceRestarts). */
  crashInstances(sites: Iterable<string>): void { this.each(sites, (n) => n.crashInstances()) }

  nodeStats(): NodeStats[] { return this.nodes.map((n) => n.stats()) }

  /** node → desired version it acked last. */
  ackedVersions(): Map<string, number> {
    return new Map(this.nodes.map((n) => [n.name, n.ackedVersion]))
  }

  stats(): FleetStats {
    let connected = 0, dead = 0, partitioned = 0, instances = 0, ready = 0, everConnected = 0
    let minVersion = Infinity, maxVersion = 0
    for (const n of this.byName.values()) {
      const s = n.stats()
      if (s.connected) connected++
      if (s.dead) dead++
      if (s.partitioned) partitioned++
      if (s.connects > 0) everConnected++
      instances += s.instances
      ready += s.ready
      minVersion = Math.min(minVersion, s.version)
      maxVersion = Math.max(maxVersion, s.version)
    }
    return {
      ...this.counters, sites: this.world.length, nodes: this.byName.size, connected, dead, partitioned, instances, ready,
      reconnects: this.counters.linkUps - everConnected, minVersion: minVersion === Infinity ? 0 : minVersion, maxVersion,
    }
  }

  /** One line for humans. */
  summary(): string {
    const s = this.stats()
    return `sim: ${s.sites} sites, ${s.nodes} nodes: ${s.connected} connected, ${s.partitioned} partitioned, ${s.dead} dead; ` +
      `${s.reconnects} reconnects; ${s.instances} instances (${s.ready} ready), ${s.instanceRestarts} restarts; ` +
      `desired versions ${s.minVersion}–${s.maxVersion}, ${s.acks} acks; ${s.dropped} messages dropped`
  }

  /** Resolves when pred() holds (checked every 50 ms); rejects after timeoutMs. */
  async waitFor(what: string, pred: () => boolean, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.summary()})`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.usageTimer) clearInterval(this.usageTimer)
    for (const n of this.byName.values()) n.stop()
    this.ticker.stop()
    await this.cleanup()
  }
}

interface SavedFleet { server: string; credentials: Record<string, Credential> }

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const log = o.log ?? createLogger('sim')
  const seed = o.seed ?? 1
  const world = generateSites(o.sites, seed, o.nodesPerSite ?? 1)
  const own = !o.dataDir
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'ep-sim-'))
  const savedPath = join(dataDir, 'fleet.json')
  let saved: SavedFleet = { server: o.server, credentials: {} }
  if (existsSync(savedPath)) {
    const s = JSON.parse(readFileSync(savedPath, 'utf8')) as SavedFleet
    if (s.server === o.server) saved = s
    // Another server: its CA and credentials mean nothing here.
    else rmSync(join(dataDir, 'ca.crt'), { force: true })
  }
  const ca = await trustedCa({ dataDir, server: o.server, joinToken: o.joinToken, caFile: o.caFile })
  const http = new HttpClient({ baseUrl: o.server, ca })
  const secureContext = ca ? createSecureContext({ ca }) : undefined
  const fleet = new Fleet(world, seed, o.tickMs ?? 50, async () => {
    await http.close()
    if (own) rmSync(dataDir, { recursive: true, force: true })
  })
  const random = rngFor(seed, 'links')
  const runtime: HollowRuntime = { startDelayMs: 200, readyDelayMs: 500, ...o.runtime }
  // A temp dir is gone with the fleet: nothing to keep there.
  const save = () => { if (!own) writeFileAtomic(savedPath, JSON.stringify(saved)) }

  const specs = world.flatMap((site) => site.nodes.map((spec, k) => ({ site, spec, k })))
  let next = 0
  let joined = 0
  const worker = async () => {
    while (next < specs.length) {
      const { site, spec, k } = specs[next++]
      let cred = saved.credentials[spec.name]
      if (!cred || cred.site !== site.registration.name) {
        if (!o.joinToken) throw new Error(`node ${spec.name} has no saved credential in ${dataDir}: pass a join token`)
        cred = await joinWithRetry(http, o.joinToken, spec.name, site.registration.name)
        saved.credentials[spec.name] = cred
        if (++joined % 1000 === 0) save()
      }
      const node = new HollowNode({
        server: o.server, ca, secureContext, credential: cred.credential, spec, site: site.registration,
        ...(o.gateways !== false && k === 0 ? { gateway: site.gateway } : {}),
        ticker: fleet.ticker, random, log, backoff: o.backoff, runtime, statusBatchMs: o.statusBatchMs ?? 250, counters: fleet.counters,
        onAck: (n, v) => fleet.emit('ack', n, v),
        onLink: (n, up, reason) => fleet.emit('link', n, up, reason),
        onRedial: (n, reason, delayMs) => fleet.emit('redial', n, reason, delayMs),
      })
      fleet.add(node)
      node.start()
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(specs.length, o.joinConcurrency ?? 32) }, worker))
  } catch (err) {
    next = specs.length
    if (joined) save()
    await fleet.stop()
    throw err
  }
  if (joined) save()
  fleet.startUsageBeat(o.usageIntervalMs ?? 10_000)
  if ((o.wait ?? 'connected') === 'connected') {
    try {
      await fleet.waitFor('every node to connect', () => fleet.stats().connected === specs.length, o.waitTimeoutMs ?? 120_000)
    } catch (err) {
      await fleet.stop()
      throw err
    }
  }
  return fleet
}

async function joinWithRetry(http: HttpClient, joinToken: string, node: string, site: string): Promise<Credential> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestCredential({ http, joinToken, node, site, now: Date.now() })
    } catch (err) {
      if (!(err instanceof ApiError && err.retryable) || attempt >= 8) throw err
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(5000, 100 * 2 ** attempt)))
    }
  }
}
