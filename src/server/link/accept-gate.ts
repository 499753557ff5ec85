// Connections are let into the server (TLS handshake, HTTP, the link's upgrade and hello) at a
// bounded rate. A restarted server meets its whole fleet at once: taken all together, thousands of
// handshakes advance a step each per loop turn, every one of them finishes late, hellos miss their
// deadline and agents time out and redial, so the work is done twice. Waiting connections cost only
// an accepted socket; past the queue they are closed at once, and the agents' backoff spreads them.
import type { Server, Socket } from 'node:net'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import { TokenBuckets } from '../../lib/token-buckets.js'

export interface AcceptGateOptions {
  clock: Clock
  ratePerSecond: number
  burst: number
  /** Connections that may wait; more are closed at once. */
  maxQueued: number
  /** Told of closed connections: a second after the first of a burst, with how many were closed. */
  onShed?: (closed: number) => void
}

export interface AcceptGateStats { passed: number; queued: number; shed: number }

export class AcceptGate {
  private bucket: TokenBuckets
  private queue: Socket[] = []
  private timer: TimerHandle | undefined
  private passedCount = 0
  private shedCount = 0
  private shedReported = 0
  private shedTimer: TimerHandle | undefined
  private inner: ((s: Socket) => void)[] = []
  private server: Server | undefined
  private stopped = false

  constructor(private o: AcceptGateOptions) {
    this.bucket = new TokenBuckets(o.clock, o.ratePerSecond, o.burst, 1)
  }

  /** Puts the gate in front of the server's own connection handling (TLS, or HTTP). */
  install(server: Server): void {
    this.server = server
    this.inner = server.listeners('connection') as ((s: Socket) => void)[]
    server.removeAllListeners('connection')
    server.on('connection', (sock: Socket) => this.offer(sock))
  }

  get stats(): AcceptGateStats { return { passed: this.passedCount, queued: this.queue.length, shed: this.shedCount } }

  offer(sock: Socket): void {
    if (this.stopped) { sock.destroy(); return }
    if (!this.queue.length && this.bucket.take('') === 0) return this.pass(sock)
    if (this.queue.length >= this.o.maxQueued) {
      this.shedCount++
      this.shedTimer ??= this.o.clock.setTimeout(() => {
        this.shedTimer = undefined
        this.o.onShed?.(this.shedCount - this.shedReported)
        this.shedReported = this.shedCount
      }, 1000)
      sock.destroy()
      return
    }
    // A waiting socket is left as accepted: what the client sends stays buffered (no reader, so it
    // does not flow) for the TLS or HTTP layer to read when it passes. A reset while it waits is
    // expected and must not be an unhandled error.
    sock.on('error', ignore)
    this.queue.push(sock)
    if (!this.timer) this.pump()
  }

  /** Closes the waiting connections and any that arrive from now on (the server is closing). */
  stop(): void {
    this.stopped = true
    this.timer?.cancel()
    this.timer = undefined
    this.shedTimer?.cancel()
    this.shedTimer = undefined
    for (const s of this.queue) s.destroy()
    this.queue = []
  }

  private pass(sock: Socket): void {
    this.passedCount++
    sock.off('error', ignore)
    for (const l of this.inner) l.call(this.server, sock)
  }

  /** Lets waiting connections through while there are tokens, then waits for the next one. */
  private pump(): void {
    this.timer = undefined
    while (this.queue.length) {
      if (this.queue[0].destroyed) { this.queue.shift(); continue }
      const waitMs = this.bucket.take('')
      if (waitMs > 0) { this.timer = this.o.clock.setTimeout(() => this.pump(), waitMs); return }
      this.pass(this.queue.shift()!)
    }
  }
}

function ignore(): void { /* see offer() */ }
