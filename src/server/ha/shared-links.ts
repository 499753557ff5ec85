// Link presence shared by every server on one database. Each server holds some agents' links; the
// leader judges every node (NotReady after the grace) and every server's routing and DNS need to
// know which sites are up, so each server publishes what its link hub knows (one lease record per
// server, "links/<server>", renewed each second, gone 3 s after the server is) and reads the
// others'. A node counts as connected when any live server holds its link. Times travel as ages
// (ms before the publish), so the servers' clocks need not agree.
import type { LinkStats, LinkView } from '../../controllers/node-lifecycle.js'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import type { LeaseTable } from '../../store/leases.js'

export const PRESENCE_PREFIX = 'links/'

interface Published extends Omit<LinkStats, 'lastSeen' | 'connectedAt' | 'disconnectedAt'> {
  lastSeenAgoMs: number
  connectedAgoMs?: number
  disconnectedAgoMs?: number
}

export interface SharedLinksOptions {
  local: LinkView
  leases: LeaseTable
  server: string
  clock: Clock
  log: Logger
  publishMs?: number
  ttlMs?: number
}

export class SharedLinks implements LinkView {
  /** The merged view: this server's own stats object for links it holds, copies for the others'. */
  readonly stats = new Map<string, LinkStats>()
  private remote = new Map<string, LinkStats>()
  private listeners = new Set<(node: string) => void>()
  private timer: TimerHandle | undefined
  private busy = false
  private stopped = false

  constructor(private readonly o: SharedLinksOptions) {
    o.local.onLinkChange((node) => this.merge(node))
    for (const node of o.local.stats.keys()) this.merge(node)
  }

  onLinkChange(fn: (node: string) => void): void { this.listeners.add(fn) }
  refreshCounters(node: string): void { if (this.o.local.stats.has(node)) this.o.local.refreshCounters(node) }
  requestStatus(node: string): void { if (this.o.local.stats.get(node)?.connected) this.o.local.requestStatus?.(node) }

  start(): void {
    const loop = (): void => {
      this.timer = this.o.clock.setTimeout(() => { void this.sync().finally(() => { if (!this.stopped) loop() }) }, this.o.publishMs ?? 1000)
    }
    void this.sync().finally(loop)
  }

  stop(): void {
    this.stopped = true
    this.timer?.cancel()
  }

  /** Publishes ours and reads the others' (a failure, e.g. the database away, keeps what we had). */
  async sync(): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      const now = this.o.clock.now()
      const mine = [...this.o.local.stats.values()].map((s) => publish(s, now))
      const ttl = this.o.ttlMs ?? 3000
      await this.o.leases.put(PRESENCE_PREFIX + this.o.server, this.o.server, ttl, JSON.stringify(mine))
      const rows = await this.o.leases.live(PRESENCE_PREFIX)
      const readAt = this.o.clock.now()
      const next = new Map<string, LinkStats>()
      for (const row of rows) {
        if (row.holder === this.o.server) continue
        let list: Published[]
        try { list = JSON.parse(row.value) } catch { continue }
        for (const p of list) {
          const s = receive(p, readAt)
          const had = next.get(s.node)
          if (!had || better(s, had)) next.set(s.node, s)
        }
      }
      const changed = new Set<string>([...this.remote.keys(), ...next.keys()])
      this.remote = next
      for (const node of changed) this.merge(node)
    } catch (err) {
      this.o.log.warn({ err }, 'link presence: publishing or reading the other servers\' links failed; retrying')
    } finally {
      this.busy = false
    }
  }

  private merge(node: string): void {
    const local = this.o.local.stats.get(node)
    const remote = this.remote.get(node)
    const pick = local?.connected ? local : remote?.connected ? remote : local && remote ? (better(remote, local) ? remote : local) : local ?? remote
    const before = this.stats.get(node)
    if (pick) this.stats.set(node, pick)
    else this.stats.delete(node)
    // A remote copy is a new object at every read: tell listeners only when something they judge by changed.
    if (before === pick) return
    if (before && pick && before !== local && pick !== local && before.connected === pick.connected && before.reason === pick.reason &&
      before.gateway?.healthy === pick.gateway?.healthy && before.gateway?.address === pick.gateway?.address) return
    for (const fn of this.listeners) fn(node)
  }
}

/** Connected beats disconnected; then the most recently seen. */
function better(a: LinkStats, b: LinkStats): boolean {
  if (a.connected !== b.connected) return a.connected
  return a.lastSeen > b.lastSeen
}

function publish(s: LinkStats, now: number): Published {
  const { lastSeen, connectedAt, disconnectedAt, ...rest } = s
  return {
    ...rest, lastSeenAgoMs: now - lastSeen,
    ...(connectedAt !== undefined ? { connectedAgoMs: now - connectedAt } : {}),
    ...(disconnectedAt !== undefined ? { disconnectedAgoMs: now - disconnectedAt } : {}),
  }
}

function receive(p: Published, now: number): LinkStats {
  const { lastSeenAgoMs, connectedAgoMs, disconnectedAgoMs, ...rest } = p
  return {
    ...rest, lastSeen: now - lastSeenAgoMs,
    ...(connectedAgoMs !== undefined ? { connectedAt: now - connectedAgoMs } : {}),
    ...(disconnectedAgoMs !== undefined ? { disconnectedAt: now - disconnectedAgoMs } : {}),
  }
}
