// Exactly one server runs the controllers: the holder of the "controllers" lease in the shared
// database. The holder renews it every second for 3 s (the lease time); the others try every
// 0.5 s, so a leader that dies is replaced within ~3.5 s. Its writes carry the lease epoch (the
// fence: refused in their own transaction once another server took the lease). A leader that cannot
// renew (the database is away, or too slow to answer) steps down when its lease may have run out,
// judged from the time it sent the last successful renewal, before anyone else can take it.
import type { Fence } from '../../store/backend.js'
import type { LeaseTable } from '../../store/leases.js'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'

export const LEADER_LEASE = 'controllers'
export const LEASE_TTL_MS = 3000
export const RENEW_MS = 1000
export const RETRY_MS = 500
/** Stepping down this much before the lease can expire covers a clock running slow against the database's. */
const SAFETY_MS = 300

export interface LeaderElectionOptions {
  leases: LeaseTable
  /** This server's id (unique among the servers on the database). */
  server: string
  clock: Clock
  log: Logger
  onElected: () => void
  onDeposed: (reason: string) => void
  ttlMs?: number
  renewMs?: number
  retryMs?: number
}

export class LeaderElection {
  private epoch: number | undefined
  private validUntil = 0
  private tickTimer: TimerHandle | undefined
  private expiryTimer: TimerHandle | undefined
  private inFlight = false
  private stopped = false

  constructor(private readonly o: LeaderElectionOptions) {}

  get isLeader(): boolean { return this.epoch !== undefined }

  /** The fence the leader's writes carry; undefined when not leader (such writes are refused). */
  fence(): Fence | undefined {
    return this.epoch === undefined ? undefined : { name: LEADER_LEASE, holder: this.o.server, epoch: this.epoch }
  }

  start(): void { void this.tick() }

  async stop(): Promise<void> {
    this.stopped = true
    this.tickTimer?.cancel()
    this.expiryTimer?.cancel()
    if (this.epoch !== undefined) {
      this.depose('server stopping')
      await this.o.leases.release(LEADER_LEASE, this.o.server).catch(() => undefined)
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.inFlight) return
    this.inFlight = true
    const sentAt = this.o.clock.now()
    const ttl = this.o.ttlMs ?? LEASE_TTL_MS
    try {
      const held = await this.o.leases.acquire(LEADER_LEASE, this.o.server, ttl)
      if (this.stopped) return
      if (held) {
        const wasLeader = this.epoch !== undefined
        if (wasLeader && held.epoch !== this.epoch) this.o.log.warn({ from: this.epoch, to: held.epoch }, 'leader: the lease had expired and was taken again (new epoch)')
        this.epoch = held.epoch
        this.validUntil = sentAt + ttl - SAFETY_MS
        this.armExpiry()
        if (!wasLeader) {
          this.o.log.info({ epoch: held.epoch }, 'leader: this server now runs the controllers')
          this.o.onElected()
        }
      } else if (this.epoch !== undefined) {
        this.depose('another server holds the lease')
      }
    } catch (err) {
      if (this.epoch !== undefined) this.o.log.warn({ err }, 'leader: renewing the lease failed')
    } finally {
      this.inFlight = false
      if (!this.stopped) {
        this.tickTimer?.cancel()
        this.tickTimer = this.o.clock.setTimeout(() => void this.tick(), this.epoch !== undefined ? this.o.renewMs ?? RENEW_MS : this.o.retryMs ?? RETRY_MS)
      }
    }
  }

  /** Steps down when the lease may have expired without a renewal (even if a renewal call hangs). */
  private armExpiry(): void {
    this.expiryTimer?.cancel()
    this.expiryTimer = this.o.clock.setTimeout(() => {
      if (this.epoch !== undefined && this.o.clock.now() >= this.validUntil) this.depose('could not renew the lease in time (database unreachable?)')
    }, Math.max(0, this.validUntil - this.o.clock.now()))
  }

  private depose(reason: string): void {
    if (this.epoch === undefined) return
    this.epoch = undefined
    this.expiryTimer?.cancel()
    this.o.log.warn({ reason }, 'leader: this server no longer runs the controllers')
    this.o.onDeposed(reason)
  }
}
