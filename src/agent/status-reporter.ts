// Sends instance status in batches. Changes are coalesced per instance (only the latest state of
// each matters), so what waits while the link is down is bounded by the number of instances; a
// reconnect sends everything once, so the server's view is rebuilt whatever it missed.
import type { InstanceReport } from '../api/link.js'
import type { Clock, TimerHandle } from '../lib/clock.js'

export interface StatusReporterOptions {
  clock: Clock
  /** Sends one batch; false when the link is down (the batch stays queued). */
  send: (reports: InstanceReport[]) => boolean
  /** The current report of an instance, or undefined once it is gone. */
  report: (uid: string) => InstanceReport | undefined
  all: () => InstanceReport[]
  batchMs?: number
}

export class StatusReporter {
  private dirty = new Set<string>()
  private timer: TimerHandle | undefined

  constructor(private o: StatusReporterOptions) {}

  changed(uid: string): void {
    this.dirty.add(uid)
    this.timer ??= this.o.clock.setTimeout(() => { this.timer = undefined; this.flush() }, this.o.batchMs ?? 250)
  }

  /** After (re)connecting: the full picture. */
  resendAll(): void {
    for (const r of this.o.all()) this.dirty.add(r.uid)
    this.flush()
  }

  flush(): void {
    if (!this.dirty.size) return
    // A gone instance needs no report: the control plane removed it first.
    const reports = [...this.dirty].map((uid) => this.o.report(uid)).filter((r): r is InstanceReport => !!r)
    if (!reports.length || this.o.send(reports)) this.dirty.clear()
  }

  get pending(): number { return this.dirty.size }

  stop(): void { this.timer?.cancel() }
}
