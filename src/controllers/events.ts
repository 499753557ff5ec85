// Records Events ("what happened and why") and forgets them after a while. Repeats of the same
// reason and message for one object within the aggregation window bump a count instead.
import { randomHex } from '../lib/random-hex.js'
import { API_VERSION, type Resource } from '../api/meta.js'
import type { Event } from '../api/kinds/index.js'
import { isoNow, type Clock, type TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import type { Store } from '../store/types.js'

export interface EventRecorderOptions {
  store: Store
  clock: Clock
  log: Logger
  component: string
  ttlMs?: number
  aggregateMs?: number
}

export class EventRecorder {
  private recent = new Map<string, { name: string; namespace: string; at: number }>()
  private gcTimer: TimerHandle | undefined

  constructor(private o: EventRecorderOptions) {}

  record(obj: Pick<Resource, 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.write(obj, type, reason, message).catch((err) => this.o.log.warn({ err, reason }, 'event not recorded'))
  }

  private async write(obj: Pick<Resource, 'kind' | 'metadata'>, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = this.o.clock.now()
    const namespace = obj.metadata.namespace ?? 'default'
    const key = `${obj.kind}/${namespace}/${obj.metadata.name}/${reason}/${message}`
    const seen = this.recent.get(key)
    if (seen && now - seen.at < (this.o.aggregateMs ?? 10 * 60_000)) {
      const ev = await this.o.store.get<Event & { kind: 'Event' }>('Event', seen.namespace, seen.name)
      if (ev) {
        await this.o.store.update({ ...ev, count: ev.count + 1, lastTimestamp: isoNow(this.o.clock) })
        seen.at = now
        return
      }
    }
    const name = `${obj.metadata.name}.${now.toString(16)}${randomHex(2)}`.slice(-253)
    const ev: Event = {
      apiVersion: API_VERSION, kind: 'Event', metadata: { name, namespace },
      involvedObject: { kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}) },
      type, reason, message, count: 1, firstTimestamp: isoNow(this.o.clock), lastTimestamp: isoNow(this.o.clock),
      source: { component: this.o.component },
    }
    await this.o.store.create(ev as Event & Resource)
    this.recent.set(key, { name, namespace, at: now })
  }

  /** Deletes events older than the TTL, then again every minute. */
  startGc(): void {
    const run = async () => {
      const cutoff = this.o.clock.now() - (this.o.ttlMs ?? 3600_000)
      const { items } = await this.o.store.list<Event & Resource>('Event')
      for (const ev of items) {
        if (Date.parse(ev.lastTimestamp) < cutoff) await this.o.store.delete('Event', ev.metadata.namespace, ev.metadata.name).catch(() => undefined)
      }
      for (const [k, v] of this.recent) if (v.at < cutoff) this.recent.delete(k)
    }
    const loop = () => { this.gcTimer = this.o.clock.setTimeout(() => { void run().catch(() => undefined).finally(loop) }, 60_000) }
    loop()
  }

  stop(): void { this.gcTimer?.cancel() }
}
