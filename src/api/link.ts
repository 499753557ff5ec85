// The agent link protocol: JSON messages over one WebSocket that the agent dials out.
// The desired state of a node is a versioned document; the agent acks the versions it applied.
import { Compile } from 'typebox/compile'
import { Type, StringEnum, Strict, StringMap, CapacitySchema, GeoSchema, Labels, NAME_PATTERN, type Static, type TSchema } from './kinds/common.js'
import { TemplateSchema, INSTANCE_PHASES, TIERS } from './kinds/index.js'
import { schemaCauses } from './validate.js'
import { decodeFrame } from './link-wire.js'

export { LINK_PATH, LINK_SUBPROTOCOL, MAX_LINK_MESSAGE_BYTES, LINK_BACKOFF, LINK_ADMISSION_RATE, LINK_DEFLATE, LINK_COMPRESS_MIN_BYTES, sendLinkText } from './link-wire.js'

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

/** The site-local pull-through registry cache an agent runs (started with --registry-cache). */
export const RegistryCacheStateSchema = Type.Object({
  /** host:port it serves on; the host must be the node's address (the server checks). */
  address: Type.String({ minLength: 1, maxLength: 300 }),
  healthy: Type.Boolean(),
  message: Type.Optional(Type.String({ maxLength: 1024 })),
}, Strict)
export type RegistryCacheState = Static<typeof RegistryCacheStateSchema>

export const IMAGE_PULL_STATES = ['pulling', 'present', 'failed'] as const
export const ImagePullReportSchema = Type.Object({
  image: Type.String({ minLength: 1, maxLength: 512 }),
  state: StringEnum(IMAGE_PULL_STATES),
  message: Type.Optional(Type.String({ maxLength: 1024 })),
}, Strict)
export type ImagePullReport = Static<typeof ImagePullReportSchema>

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
  registryCache: Type.Optional(RegistryCacheStateSchema),
}, Strict)

const AckSchema = Type.Object({ t: Type.Literal('ack'), version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, Strict)

const StatusSchema = Type.Object({
  t: Type.Literal('status'),
  instances: Type.Array(InstanceReportSchema, { maxItems: 10000 }),
  usage: Type.Optional(CapacitySchema),
  /** Reports that could not be sent while offline and were folded into a count. */
  dropped: Type.Optional(Count),
  gateway: Type.Optional(GatewayStateSchema),
  registryCache: Type.Optional(RegistryCacheStateSchema),
}, Strict)

/** Where the node's pre-pulls stand (every image the last "images" message asked for), whole each time. */
const ImageStatusSchema = Type.Object({
  t: Type.Literal('image-status'),
  images: Type.Array(ImagePullReportSchema, { maxItems: 1000 }),
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

export const AgentMessageSchema = Type.Union([HelloSchema, AckSchema, StatusSchema, LogDataSchema, ResyncSchema, TrafficSchema, ImageStatusSchema])
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

/**
 * Image distribution for this node, whole each time (small, changes rarely): the central registry
 * that site caches mirror, the site's cache to pull through (every node), the parent the node's own
 * cache proxies (the cache node only: the central registry or a central site's cache), and the
 * images to have present before a rollout reaches the site (pre-distribution).
 */
const ImagesSchema = Type.Object({
  t: Type.Literal('images'),
  version: Type.Integer({ minimum: 0 }),
  /** The central registry (http://host:port or https://…; its host:port is the registry part of image references). */
  central: Type.Optional(Type.String({ pattern: '^https?://[^/]+$', maxLength: 300 })),
  /** host:port of the site's cache: pulls of central images go through it. */
  mirror: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  /** For the node running the site cache: the URL it proxies (http://host:port). */
  parent: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 300 })),
  pull: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 1000 }),
}, Strict)
export type ImagesMessage = Static<typeof ImagesSchema>

export const ServerMessageSchema = Type.Union([WelcomeSchema, DesiredSchema, LogOpenSchema, LogCloseSchema, RoutesSchema, ImagesSchema])
export type ServerMessage = Static<typeof ServerMessageSchema>
export type DesiredMessage = Static<typeof DesiredSchema>

// One validator per message type, chosen by `t`: checking against the whole union would report the
// errors of whichever variant came first (a bad "ack" would be told about hello's fields).
type Validator = ReturnType<typeof Compile<TSchema>>
function byType(variants: TSchema[]): Map<string, Validator> {
  return new Map(variants.map((s) => [(s as unknown as { properties: { t: { const: string } } }).properties.t.const, Compile(s)]))
}
const agentValidators = byType([HelloSchema, AckSchema, StatusSchema, LogDataSchema, ResyncSchema, TrafficSchema, ImageStatusSchema])
const serverValidators = byType([WelcomeSchema, DesiredSchema, LogOpenSchema, LogCloseSchema, RoutesSchema, ImagesSchema])

/** Parses and checks one frame; returns an error string naming the problem instead of throwing. */
export function decodeAgentMessage(data: string): AgentMessage | string {
  return decode(data, agentValidators) as AgentMessage | string
}

export function decodeServerMessage(data: string): ServerMessage | string {
  return decode(data, serverValidators) as ServerMessage | string
}

function decode(data: string, validators: Map<string, Validator>): unknown {
  return decodeFrame(data, validators, (v, msg) => schemaCauses(v, msg))
}
