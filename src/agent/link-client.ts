// The agent end of the link: dials the server (NAT-friendly, compressed), says hello with the
// desired version it holds, and redials forever with exponential backoff and full jitter so a
// restarted server is not stormed. A server that stops pinging is treated as gone.
import WebSocket from 'ws'
import { isIP } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import type { AgentMessage, HelloMessage, ServerMessage } from '../api/link.js'
import { leanDecodeServerMessage } from '../api/link-lean-decode.js'
import { LINK_BACKOFF, LINK_PATH, sendLinkText, MAX_LINK_MESSAGE_BYTES } from '../api/link-wire.js'
import type { Clock, TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'

export interface LinkClientOptions {
  /** One URL, or several separated by commas (servers sharing one database): see serverUrls. */
  serverUrl: string
  /** Read at every dial, so a rotated credential is used from the next connection on. */
  credential: () => string
  clock: Clock
  /** Injected randomness for the jitter. */
  random: () => number
  log: Logger
  hello: () => HelloMessage
  onMessage: (msg: ServerMessage) => void
  onUp?: () => void
  onDown?: (reason: string) => void
  /** Each redial with why the connection ended or failed, and the backoff before it. */
  onRedial?: (reason: string, delayMs: number) => void
  backoff?: { initialMs: number; maxMs: number }
  ca?: string
  /** Extra options for the WebSocket (the fleet simulator turns off automatic pongs). */
  socketOptions?: WebSocket.ClientOptions
  /** Sees each new socket before it opens (the simulator answers pings and pauses it for faults). */
  onSocket?: (ws: WebSocket) => void
  /** Consulted before each dial; false fails the attempt as an unreachable network would (backoff goes on). */
  canDial?: () => boolean
  /** How frames are checked: by default without a schema compiler (the agent); the simulator passes link.ts's compiled one. */
  decode?: (data: string) => ServerMessage | string
}

/**
 * "https://a:7420,https://b:7420" → both. The link dials one; when a dial fails or an established
 * link drops, the next dial goes to the next URL (so an agent whose server died moves to another
 * within its first, short backoff). Desired documents and node state come from the shared
 * database, so they are the same whichever server the agent is on.
 */
export function serverUrls(spec: string): string[] {
  const urls = spec.split(',').map((u) => u.trim()).filter(Boolean)
  if (!urls.length) throw new Error('no server URL given')
  for (const u of urls) new URL(u) // throws on a malformed one, naming it
  return urls
}

export function linkUrl(serverUrl: string): string {
  const u = new URL(serverUrl)
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'
  u.pathname = LINK_PATH
  return u.toString()
}

/** Full jitter: uniformly random in [0, min(max, initial·2^attempt)]. */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number }, random: () => number): number {
  return Math.floor(random() * Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30)))
}

export class LinkClient {
  private ws: WebSocket | undefined
  private attempt = 0
  private stopped = false
  private up = false
  private retry: TimerHandle | undefined
  private watchdog: TimerHandle | undefined
  /** When the server was last heard (any message or ping): the watchdog's one timer checks it. */
  private heardAt = 0
  private heartbeatMs = 15_000
  private lastError = ''
  /** The last TLS session the server gave (a ticket), offered at the next dial. */
  private tlsSession: Buffer | undefined

  private readonly urls: string[]
  private current = 0

  constructor(private o: LinkClientOptions) {
    this.urls = serverUrls(o.serverUrl)
  }

  /** The server URL the link dials (or is on). */
  get server(): string { return this.urls[this.current] }

  get connected(): boolean { return this.up }

  start(): void {
    this.dial()
  }

  private dial(): void {
    if (this.stopped) return
    this.lastError = ''
    if (this.o.canDial && !this.o.canDial()) {
      this.lastError = 'network unreachable'
      this.scheduleRedial(this.lastError)
      return
    }
    const url = linkUrl(this.server)
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.o.credential()}` },
      perMessageDeflate: { threshold: 256 },
      maxPayload: MAX_LINK_MESSAGE_BYTES,
      // Generous: a server just restarted works through the whole fleet's handshakes at once, and a
      // dial abandoned early is a redial and the server's work lost.
      handshakeTimeout: 30_000,
      ...(this.o.ca ? { ca: this.o.ca } : {}),
      // (ws calls it with the TLS options; its typings name net.createConnection's overloads.)
      ...(url.startsWith('wss:') ? { createConnection: ((opts: ConnectionOptions) => this.tlsConnect(opts)) as unknown as WebSocket.ClientOptions['createConnection'] } : {}),
      ...this.o.socketOptions,
    })
    this.ws = ws
    this.o.onSocket?.(ws)
    ws.on('open', () => {
      this.heardAt = this.o.clock.now()
      this.armWatchdog()
      sendLinkText(ws, JSON.stringify(this.o.hello()))
    })
    ws.on('ping', () => { this.heardAt = this.o.clock.now() })
    ws.on('message', (data, isBinary) => {
      this.heardAt = this.o.clock.now()
      const msg = isBinary ? 'binary frame' : (this.o.decode ?? leanDecodeServerMessage)(data.toString())
      if (typeof msg === 'string') {
        this.o.log.warn({ reason: msg }, 'closing link: bad message from server')
        ws.close(4400, msg.slice(0, 120))
        return
      }
      // The first welcome of a connection brings the link up; a later one only asks for status again.
      if (msg.t === 'welcome' && !this.up) {
        this.heartbeatMs = msg.heartbeatSeconds * 1000
        this.armWatchdog()
        this.attempt = 0
        this.up = true
        this.o.log.info({ server: this.server }, 'link up')
        this.o.onUp?.()
      }
      this.o.onMessage(msg)
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => {
        let message = body
        try { message = JSON.parse(body).message ?? body } catch { /* plain */ }
        this.lastError = `server refused the link (HTTP ${res.statusCode}): ${message}`
        this.o.log.error({ status: res.statusCode }, this.lastError)
        ws.terminate()
      })
    })
    ws.on('error', (err) => { this.lastError = err.message })
    ws.on('close', (code, reason) => {
      this.watchdog?.cancel()
      this.watchdog = undefined
      const why = reason.toString() || this.lastError || `code ${code}`
      if (this.up) {
        this.up = false
        this.o.log.warn({ reason: why }, 'link down')
        this.o.onDown?.(why)
      }
      this.scheduleRedial(why)
    })
  }

  /**
   * As ws connects, offering the last TLS session: a redial (a server restart included: the server
   * keeps its ticket keys) resumes it, without the certificate exchange and its verification.
   */
  private tlsConnect(opts: ConnectionOptions): TLSSocket {
    const host = opts.host ?? ''
    const sock = tlsConnect({
      ...opts,
      // ws's own connect drops the request path (tls.connect would take it for a socket file).
      path: undefined,
      servername: opts.servername ?? (isIP(host) ? '' : host),
      ...(this.tlsSession ? { session: this.tlsSession } : {}),
    })
    sock.on('session', (session: Buffer) => { this.tlsSession = session })
    return sock
  }

  /**
   * Three missed pings: the server or the path to it is gone; redial. One timer per silence, not
   * one per message: when it fires it checks when the server was last heard (a hollow fleet's
   * 10,000 links re-armed a timer for every document of a change).
   */
  private armWatchdog(ms = this.heartbeatMs * 3): void {
    this.watchdog?.cancel()
    this.watchdog = this.o.clock.setTimeout(() => {
      this.watchdog = undefined
      const left = this.heardAt + this.heartbeatMs * 3 - this.o.clock.now()
      if (left > 0) { this.armWatchdog(left); return }
      this.lastError = 'no heartbeat from the server'
      this.ws?.terminate()
    }, ms)
  }

  private scheduleRedial(reason: string): void {
    if (this.stopped) return
    this.current = (this.current + 1) % this.urls.length
    const delay = backoffDelay(this.attempt++, this.o.backoff ?? LINK_BACKOFF, this.o.random)
    this.o.onRedial?.(reason, delay)
    this.o.log.debug({ delay, attempt: this.attempt }, 'redialing')
    this.retry = this.o.clock.setTimeout(() => this.dial(), delay)
  }

  send(msg: AgentMessage): boolean {
    if (!this.up || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    sendLinkText(this.ws, JSON.stringify(msg))
    return true
  }

  stop(): void {
    this.stopped = true
    this.retry?.cancel()
    this.watchdog?.cancel()
    this.ws?.close(1001, 'agent stopping')
  }
}
