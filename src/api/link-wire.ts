// The link's wire: its constants and the framing both ends share, with nothing that builds schemas,
// so the agent can load it without a schema library. The messages themselves are in link.ts.
import type { WebSocket } from 'ws'
import type { Cause } from './errors.js'

export const LINK_PATH = '/v1/link'
export const LINK_SUBPROTOCOL = 'edgeplane.link.v1'
export const MAX_LINK_MESSAGE_BYTES = 4 * 1024 * 1024
/** Agents redial a lost link with full-jitter backoff from 0.5 s up to this (so after an outage, all have tried again within it). */
export const LINK_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const
/**
 * Links (and new connections) admitted per second by default: a reconnect storm is paced. At 1,000/s
 * a 2-core server took 10,000 sites back in 16 s after it listened, at 93% of a core (BENCHMARKS.md).
 */
export const LINK_ADMISSION_RATE = 1000

/**
 * permessage-deflate on the link, as the server offers it. Link messages are small JSON documents,
 * so a 1 KiB window compresses them about as well as the default 32 KiB one; the default (32 KiB
 * window, memLevel 8) costs ~300 KiB of zlib state per connection on the server, ~3 GiB for 10,000
 * links. With these settings it is ~20 KiB. The agent is asked to use the same window.
 * (ws applies `threshold` only without context takeover, which the link keeps: see
 * LINK_COMPRESS_MIN_BYTES for what the server actually compresses.)
 */
export const LINK_DEFLATE = { threshold: 256, serverMaxWindowBits: 10, clientMaxWindowBits: 10, zlibDeflateOptions: { memLevel: 4 } } as const

/**
 * Both ends compress only messages at least this long. Each compression (and the peer's
 * decompression) is a zlib round trip through the thread pool; one change that touches every site
 * sends thousands of ~400-byte documents at once and brings back as many acks and status reports,
 * and compressing them was the largest cost of the push (a third of the server's CPU at 2,000
 * sites) to save a few hundred bytes per site.
 */
export const LINK_COMPRESS_MIN_BYTES = 1024

/** Sends a text frame on a link (either side), compressed only when it is at least LINK_COMPRESS_MIN_BYTES long. */
export function sendLinkText(ws: Pick<WebSocket, 'send'>, data: string): void {
  ws.send(data, { compress: data.length >= LINK_COMPRESS_MIN_BYTES })
}

/** What decodeFrame needs of a message type's validator. */
export interface FrameValidator { Check(value: unknown): boolean }

/**
 * Parses and checks one frame with the validator of its type (`t`): returns the message, or an error
 * string naming the problem instead of throwing. One validator per type, chosen by `t`: checking
 * against the whole union would report the errors of whichever variant came first.
 */
export function decodeFrame<V extends FrameValidator>(data: string, validators: Map<string, V>, causes: (v: V, msg: unknown) => Cause[]): unknown {
  let msg: unknown
  try { msg = JSON.parse(data) } catch { return 'frame is not JSON' }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'message is not a JSON object'
  const t = (msg as { t?: unknown }).t
  if (typeof t !== 'string') return 'message has no type: field "t" must be a string'
  const v = validators.get(t)
  if (!v) return `unknown message type ${JSON.stringify(t.slice(0, 40))} (expected one of ${[...validators.keys()].join(', ')})`
  if (v.Check(msg)) return msg
  const found = causes(v, msg)
  const shown = found.slice(0, 3).map((c) => `${c.field || '/'}: ${c.message}`).join('; ')
  return `invalid "${t}" message: ${shown}${found.length > 3 ? ` (and ${found.length - 3} more)` : ''}`
}
