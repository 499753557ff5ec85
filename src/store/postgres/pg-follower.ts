// Follows the log of a database other servers write too, and delivers every committed event to
// this process's watchers exactly once, in revision order, with no gap. A NOTIFY (sent by each
// commit, at commit) says "there is more"; the events themselves are always read from ep_log after
// the last revision delivered, so a notification lost while the LISTEN connection was down costs
// nothing: the reconnect is followed by the same catch-up read. This process's own commits are
// delivered from memory when they are next in line (the common case), else by the same read.
import pg from 'pg'
import type { Clock } from '../../lib/clock.js'
import { ApiError } from '../../api/errors.js'
import type { EventSource } from '../backend.js'
import type { WatchEvent, WatchEventType } from '../types.js'

export const CHANNEL = 'ep_log'
const PAGE = 2000
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 2000

export interface FollowerLog {
  warn(obj: object, msg: string): void
}

export class LogFollower {
  private delivered = 0
  private chain: Promise<void> = Promise.resolve()
  private catchUpQueued = false
  private listener: pg.Client | undefined
  private stopped = false
  private reconnectMs = RECONNECT_MIN_MS
  private reconnectTimer: { cancel(): void } | undefined

  constructor(
    private readonly pool: pg.Pool,
    private readonly connect: () => pg.Client,
    private readonly sink: EventSource,
    private readonly clock: Clock,
    private readonly log?: FollowerLog,
  ) {}

  /** Starts from the current revision: watchers replay anything older from history themselves. */
  async start(): Promise<void> {
    const r = await this.pool.query("SELECT value FROM ep_meta WHERE key = 'revision'")
    this.delivered = Number(r.rows[0].value)
    await this.listen()
  }

  get deliveredRevision(): number { return this.delivered }

  /** After a local commit of `events` (consecutive revisions): resolves once they are delivered. */
  local(events: WatchEvent[]): Promise<void> {
    return this.enqueue(async () => {
      if (!events.length) return
      const last = events[events.length - 1].revision
      if (last <= this.delivered) return
      if (events[0].revision === this.delivered + 1) {
        for (const ev of events) this.emit(ev)
        return
      }
      await this.readAndDeliver() // another server committed in between: read the log in order
    })
  }

  /** Reads and delivers whatever was committed since the last delivered revision. */
  catchUp(): void {
    if (this.catchUpQueued) return
    this.catchUpQueued = true
    void this.enqueue(async () => {
      this.catchUpQueued = false
      await this.readAndDeliver()
    })
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.chain.then(step)
    this.chain = run.catch((err) => { this.log?.warn({ err }, 'store: reading the log to deliver watch events failed; retrying on the next notification or reconnect') })
    return run
  }

  private emit(ev: WatchEvent): void {
    this.delivered = ev.revision
    this.sink.deliver(ev)
  }

  private async readAndDeliver(): Promise<void> {
    for (;;) {
      const r = await this.pool.query<{ revision: string; type: WatchEventType; value: string }>(
        'SELECT revision, type, value FROM ep_log WHERE revision > $1 ORDER BY revision LIMIT $2', [this.delivered, PAGE])
      if (!r.rows.length) return
      const first = Number(r.rows[0].revision)
      if (first !== this.delivered + 1) {
        // Compacted past what we delivered: the watchers cannot be given a gap-free log; they relist.
        const gapFrom = this.delivered
        this.delivered = Number(r.rows[r.rows.length - 1].revision)
        this.sink.fail(new ApiError('Compacted', `revision ${gapFrom} has been compacted while this server was behind; list again and watch from the list's resourceVersion`))
        continue
      }
      for (const row of r.rows) this.emit({ type: row.type, revision: Number(row.revision), object: JSON.parse(row.value) })
      if (r.rows.length < PAGE) return
    }
  }

  private async listen(): Promise<void> {
    const c = this.connect()
    c.on('error', () => this.lost(c))
    c.on('end', () => this.lost(c))
    c.on('notification', (n) => { if (Number(n.payload) > this.delivered) this.catchUp() })
    try {
      await c.connect()
      await c.query(`LISTEN ${CHANNEL}`)
    } catch (err) {
      c.removeAllListeners('end')
      await c.end().catch(() => undefined)
      throw err
    }
    this.listener = c
    this.reconnectMs = RECONNECT_MIN_MS
    this.catchUp() // whatever was committed while we were not listening
  }

  private lost(c: pg.Client): void {
    if (this.listener !== c || this.stopped) return
    this.listener = undefined
    c.removeAllListeners('end')
    c.end().catch(() => undefined)
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return
    const delay = this.reconnectMs
    this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2)
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined
      this.listen().catch(() => this.scheduleReconnect())
    }, delay)
  }

  get listening(): boolean { return this.listener !== undefined }

  async stop(): Promise<void> {
    this.stopped = true
    this.reconnectTimer?.cancel()
    const c = this.listener
    this.listener = undefined
    if (c) {
      c.removeAllListeners('end')
      await c.end().catch(() => undefined)
    }
    await this.chain
  }
}
