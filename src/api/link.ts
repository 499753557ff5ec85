// The agent link protocol: JSON messages over one WebSocket that the agent dials out.
// The desired state of a node is a versioned document; the agent acks the versions it applied.
import type { WebSocket } from 'ws'
import { Compile } from 'typebox/compile'
import { Type, StringEnum, Strict, StringMap, CapacitySchema, GeoSchema, Labels, NAME_PATTERN, type Static, type TSchema } from './kinds/common.js'
import { TemplateSchema, INSTANCE_PHASES, TIERS } from './kinds/index.js'
import { schemaCauses } from './validate.js'

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

export const DesiredInstanceSchema = Type.Object({
  uid: Type.String({ minLength: 1 }),
  namespace: Type.String(),
  name: Type.String(),
  app: Type.String(),
  revision: Type.String(),
  template: TemplateSchema,
  sessionKey: Type.Optional(Type.String()),
  slots: Type.Optional(Type.Integer({ minimum: 1 })),
}, Strict)
export type DesiredInstance = Static<typeof DesiredInstanceSchema>

// What a node reports is checked as strictly as an operator's input (issue 22): names, sizes, counts
// and ranges; a message outside them closes the link with the reason and an Event on the Node.
const NodeName = Type.String({ minLength: 1, maxLength: 253, pattern: NAME_PATTERN })
const ShortText = (max: number) => Type.String({ maxLength: max })
const Count = Type.Integer({ minimum: 0, maximum: 1e12 })
/** host:port, an IP, or a DNS name: no more than a DNS name and a port. */
const Address = Type.String({ minLength: 1, maxLength: 261, pattern: '^[^\\s/]+$' })

export const InstanceReportSchema = Type.Object({
  uid: Type.String({ minLength: 1, maxLength: 64 }),
  phase: StringEnum(INSTANCE_PHASES),
  ready: Type.Boolean(),
  restarts: Type.Integer({ minimum: 0, maximum: 1e9 }),
  endpoints: Type.Record(Type.String({ maxLength: 63 }), Address, { maxProperties: 64 }),
  pid: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  startedAt: Type.Optional(ShortText(40)),
  exitCode: Type.Optional(Type.Union([Type.Integer({ minimum: -(2 ** 31), maximum: 2 ** 31 }), Type.Null()])),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  reason: Type.Optional(Type.String({ maxLength: 256 })),
}, Strict)
export type InstanceReport = Static<typeof InstanceReportSchema>

export const SiteRegistrationSchema = Type.Object({
  name: NodeName,
  region: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$' }),
  provider: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$' }),
  tier: StringEnum(TIERS),
  geo: Type.Optional(GeoSchema),
  labels: Type.Optional(Labels(64)),
}, Strict)
export type SiteRegistration = Static<typeof SiteRegistrationSchema>

/** The site gateway an agent runs (started with --gateway). */
const GatewayStateSchema = Type.Object({
  address: Address,
  healthy: Type.Boolean(),
  message: Type.Optional(Type.String({ maxLength: 1024 })),
}, Strict)

export const GatewayRouteSchema = Type.Object({
  host: Type.String({ maxLength: 253 }),
  endpoints: Type.Array(Type.Object({ id: Type.String(), address: Type.String(), ready: Type.Boolean() }, Strict), { maxItems: 10000 }),
  fallbacks: Type.Array(Type.Object({ site: Type.String(), gateway: Type.String() }, Strict), { maxItems: 16 }),
}, Strict)

export const TrafficReportSchema = Type.Object({
  host: Type.String({ maxLength: 253 }),
  requests: Count,
  errors: Count,
  overflowed: Count,
  rejected: Count,
  latencyMs: Type.Object({ p50: Type.Number({ minimum: 0, maximum: 3.6e6 }), p99: Type.Number({ minimum: 0, maximum: 3.6e6 }) }, Strict),
  inflight: Count,
  /** Client prefixes (an IPv4 /24 or IPv6 /48 in CIDR form) and their request counts. */
  byPrefix: Type.Record(Type.String({ maxLength: 50 }), Count, { maxProperties: 1024 }),
  saturated: Type.Boolean(),
}, Strict)
export type TrafficReportMessage = Static<typeof TrafficReportSchema>

const HelloSchema = Type.Object({
  t: Type.Literal('hello'),
  node: NodeName,
  site: SiteRegistrationSchema,
  address: Address,
  capacity: CapacitySchema,
  labels: Type.Optional(Labels(64)),
  desiredVersion: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  agent: Type.Object({ version: ShortText(64), pid: Type.Integer({ minimum: 0, maximum: 2 ** 31 }), os: Type.Optional(ShortText(64)) }, Strict),
  gateway: Type.Optional(GatewayStateSchema),
}, Strict)

const AckSchema = Type.Object({ t: Type.Literal('ack'), version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, Strict)

const StatusSchema = Type.Object({
  t: Type.Literal('status'),
  instances: Type.Array(InstanceReportSchema, { maxItems: 10000 }),
  usage: Type.Optional(CapacitySchema),
  /** Reports that could not be sent while offline and were folded into a count. */
  dropped: Type.Optional(Count),
  gateway: Type.Optional(GatewayStateSchema),
}, Strict)

/** What the site gateway saw since the last report: the input for load-aware routing and demand. */
const TrafficSchema = Type.Object({
  t: Type.Literal('traffic'),
  intervalSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 3600 }),
  reports: Type.Array(TrafficReportSchema, { maxItems: 5000 }),
}, Strict)

const LogDataSchema = Type.Object({
  t: Type.Literal('log-data'),
  req: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  data: Type.Optional(Type.String()),
  end: Type.Optional(Type.Boolean()),
  error: Type.Optional(ShortText(4096)),
}, Strict)

/** The agent cannot apply a delta (its version is not the delta's base): send from `version`. */
const ResyncSchema = Type.Object({ t: Type.Literal('resync'), version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, Strict)

export const AgentMessageSchema = Type.Union([HelloSchema, AckSchema, StatusSchema, LogDataSchema, ResyncSchema, TrafficSchema])
export type AgentMessage = Static<typeof AgentMessageSchema>
export type HelloMessage = Static<typeof HelloSchema>

/** Starts a session's status stream: the agent answers every welcome (the server may send another mid-session) with every instance's status. */
const WelcomeSchema = Type.Object({
  t: Type.Literal('welcome'),
  serverTime: Type.String(),
  heartbeatSeconds: Type.Number(),
}, Strict)

const DesiredSchema = Type.Object({
  t: Type.Literal('desired'),
  version: Type.Integer({ minimum: 0 }),
  /** A full document replaces everything; otherwise upsert/remove apply on top of `base`. */
  full: Type.Boolean(),
  base: Type.Optional(Type.Integer({ minimum: 0 })),
  upsert: Type.Array(DesiredInstanceSchema),
  remove: Type.Array(Type.String()),
}, Strict)

const LogOpenSchema = Type.Object({
  t: Type.Literal('log-open'),
  req: Type.Integer(),
  uid: Type.String(),
  follow: Type.Boolean(),
  tailLines: Type.Optional(Type.Integer({ minimum: 0 })),
}, Strict)

const LogCloseSchema = Type.Object({ t: Type.Literal('log-close'), req: Type.Integer() }, Strict)

/** The routes of the node's site gateway, whole each time (it is small and changes rarely). */
const RoutesSchema = Type.Object({
  t: Type.Literal('routes'),
  version: Type.Integer({ minimum: 0 }),
  routes: Type.Array(GatewayRouteSchema, { maxItems: 100000 }),
  /**
   * This gateway's own peer key and its certificate from the fleet key, and the fleet's public key
   * (see src/agent/gateway/peer-proof.ts): sent only to nodes whose credential allows a gateway.
   */
  peer: Type.Optional(Type.Object({
    node: Type.String({ maxLength: 253 }),
    key: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    cert: Type.String({ maxLength: 1024 }),
    ca: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  }, Strict)),
}, Strict)
export type RoutesMessage = Static<typeof RoutesSchema>

export const ServerMessageSchema = Type.Union([WelcomeSchema, DesiredSchema, LogOpenSchema, LogCloseSchema, RoutesSchema])
export type ServerMessage = Static<typeof ServerMessageSchema>
export type DesiredMessage = Static<typeof DesiredSchema>

// One validator per message type, chosen by `t`: checking against the whole union would report the
// errors of whichever variant came first (a bad "ack" would be told about hello's fields).
type Validator = ReturnType<typeof Compile<TSchema>>
function byType(variants: TSchema[]): Map<string, Validator> {
  return new Map(variants.map((s) => [(s as unknown as { properties: { t: { const: string } } }).properties.t.const, Compile(s)]))
}
const agentValidators = byType([HelloSchema, AckSchema, StatusSchema, LogDataSchema, ResyncSchema, TrafficSchema])
const serverValidators = byType([WelcomeSchema, DesiredSchema, LogOpenSchema, LogCloseSchema, RoutesSchema])

/** Parses and checks one frame; returns an error string naming the problem instead of throwing. */
export function decodeAgentMessage(data: string): AgentMessage | string {
  return decode(data, agentValidators) as AgentMessage | string
}

export function decodeServerMessage(data: string): ServerMessage | string {
  return decode(data, serverValidators) as ServerMessage | string
}

function decode(data: string, validators: Map<string, Validator>): unknown {
  let msg: unknown
  try { msg = JSON.parse(data) } catch { return 'frame is not JSON' }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'message is not a JSON object'
  const t = (msg as { t?: unknown }).t
  if (typeof t !== 'string') return 'message has no type: field "t" must be a string'
  const v = validators.get(t)
  if (!v) return `unknown message type ${JSON.stringify(t.slice(0, 40))} (expected one of ${[...validators.keys()].join(', ')})`
  if (v.Check(msg)) return msg
  const causes = schemaCauses(v, msg)
  const shown = causes.slice(0, 3).map((c) => `${c.field || '/'}: ${c.message}`).join('; ')
  return `invalid "${t}" message: ${shown}${causes.length > 3 ? ` (and ${causes.length - 3} more)` : ''}`
}
