// Per-instance events ("placed x on node y") of one reconcile, recorded one by one while they are
// few and as one summary per reason when they are many: placing an app on 10,000 sites would
// otherwise write 10,000 Events in the same burst as the 10,000 instances.
import type { Resource } from '../../api/meta.js'
import type { EventRecorder } from '../events.js'

/** Up to this many events of one reason are recorded each; above it, one summary. */
export const EVENT_BATCH_LIMIT = 10
/** Messages quoted in a summary. */
const QUOTED = 3

export class EventBatch {
  private byReason = new Map<string, string[]>()

  constructor(private events: EventRecorder, private obj: Pick<Resource, 'kind' | 'metadata'>) {}

  add(reason: string, message: string): void {
    const list = this.byReason.get(reason)
    if (list) list.push(message)
    else this.byReason.set(reason, [message])
  }

  /** Records what was added (Normal events) and empties the batch. */
  flush(): void {
    for (const [reason, messages] of this.byReason) {
      if (messages.length <= EVENT_BATCH_LIMIT) {
        for (const m of messages) this.events.record(this.obj, 'Normal', reason, m)
        continue
      }
      const more = messages.length - QUOTED
      this.events.record(this.obj, 'Normal', reason, `${messages.length} instances: ${messages.slice(0, QUOTED).join('; ')}; and ${more.toLocaleString('en-US')} more`)
    }
    this.byReason.clear()
  }
}
