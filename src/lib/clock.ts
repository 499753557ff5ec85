// Injected time: production code asks a Clock, tests drive a ManualClock without sleeping.

export interface TimerHandle { cancel(): void }

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return { cancel: () => clearTimeout(t) }
  },
}

/** A clock that only moves when told to; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = []

  constructor(start = Date.UTC(2026, 0, 1)) { this.t = start }

  now(): number { return this.t }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true }
    this.timers.push(timer)
    return { cancel: () => { timer.live = false } }
  }

  /** Moves time forward by ms, firing every timer that falls due (including ones set while firing). */
  advance(ms: number): void {
    const target = this.t + ms
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      due.live = false
      this.t = Math.max(this.t, due.at)
      due.fn()
    }
    this.timers = this.timers.filter((x) => x.live)
    this.t = target
  }

  pending(): number { return this.timers.filter((x) => x.live).length }
}

export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString()
}
