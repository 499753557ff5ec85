// The agent link protocol: JSON messages over one WebSocket that the agent dials out.
// The desired state of a node is a versioned document; the agent acks the versions it applied.
import { Compile } from 'typebox/compile'
import { Type, StringEnum, Strict, StringMap, CapacitySchema, GeoSchema, type Static } from './kinds/common.js'
import { TemplateSchema, INSTANCE_PHASES, TIERS } from './kinds/index.js'

export const LINK_PATH = '/v1/link'
export const LINK_SUBPROTOCOL = 'edgeplane.link.v1'
export const MAX_LINK_MESSAGE_BYTES = 4 * 1024 * 1024

export const DesiredInstanceSchema = Type.Object({
  uid: Type.String({ minLength: 1 }),
  namespace: Type.String(),
  name: Type.String(),
  app: Type.String(),
  revision: Type.String(),
  template: TemplateSchema,
}, Strict)
export type DesiredInstance = Static<typeof DesiredInstanceSchema>

export const InstanceReportSchema = Type.Object({
  uid: Type.String({ minLength: 1 }),
  phase: StringEnum(INSTANCE_PHASES),
  ready: Type.Boolean(),
  restarts: Type.Integer({ minimum: 0 }),
  endpoints: StringMap,
  pid: Type.Optional(Type.Integer()),
  startedAt: Type.Optional(Type.String()),
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  reason: Type.Optional(Type.String({ maxLength: 256 })),
}, Strict)
export type InstanceReport = Static<typeof InstanceReportSchema>

export const SiteRegistrationSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  region: Type.String({ minLength: 1 }),
  provider: Type.String({ minLength: 1 }),
  tier: StringEnum(TIERS),
  geo: Type.Optional(GeoSchema),
  labels: Type.Optional(StringMap),
}, Strict)
export type SiteRegistration = Static<typeof SiteRegistrationSchema>

const HelloSchema = Type.Object({
  t: Type.Literal('hello'),
  node: Type.String({ minLength: 1 }),
  site: SiteRegistrationSchema,
  address: Type.String({ minLength: 1 }),
  capacity: CapacitySchema,
  labels: Type.Optional(StringMap),
  desiredVersion: Type.Integer({ minimum: 0 }),
  agent: Type.Object({ version: Type.String(), pid: Type.Integer(), os: Type.Optional(Type.String()) }, Strict),
}, Strict)

const AckSchema = Type.Object({ t: Type.Literal('ack'), version: Type.Integer({ minimum: 0 }) }, Strict)

const StatusSchema = Type.Object({
  t: Type.Literal('status'),
  instances: Type.Array(InstanceReportSchema, { maxItems: 10000 }),
  usage: Type.Optional(CapacitySchema),
  /** Reports that could not be sent while offline and were folded into a count. */
  dropped: Type.Optional(Type.Integer({ minimum: 0 })),
}, Strict)

const LogDataSchema = Type.Object({
  t: Type.Literal('log-data'),
  req: Type.Integer(),
  data: Type.Optional(Type.String()),
  end: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
}, Strict)

/** The agent cannot apply a delta (its version is not the delta's base): send from `version`. */
const ResyncSchema = Type.Object({ t: Type.Literal('resync'), version: Type.Integer({ minimum: 0 }) }, Strict)

export const AgentMessageSchema = Type.Union([HelloSchema, AckSchema, StatusSchema, LogDataSchema, ResyncSchema])
export type AgentMessage = Static<typeof AgentMessageSchema>
export type HelloMessage = Static<typeof HelloSchema>

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

export const ServerMessageSchema = Type.Union([WelcomeSchema, DesiredSchema, LogOpenSchema, LogCloseSchema])
export type ServerMessage = Static<typeof ServerMessageSchema>
export type DesiredMessage = Static<typeof DesiredSchema>

const agentValidator = Compile(AgentMessageSchema)
const serverValidator = Compile(ServerMessageSchema)

/** Parses and checks one frame; returns an error string naming the problem instead of throwing. */
export function decodeAgentMessage(data: string): AgentMessage | string {
  return decode(data, agentValidator) as AgentMessage | string
}

export function decodeServerMessage(data: string): ServerMessage | string {
  return decode(data, serverValidator) as ServerMessage | string
}

function decode(data: string, v: { Check(x: unknown): boolean; Errors(x: unknown): Iterable<{ instancePath: string; message: string }> }): unknown {
  let msg: unknown
  try { msg = JSON.parse(data) } catch { return 'frame is not JSON' }
  if (v.Check(msg)) return msg
  const t = (msg as { t?: unknown })?.t
  const first = [...v.Errors(msg)].find((e) => e.instancePath !== '') ?? [...v.Errors(msg)][0]
  return `invalid ${typeof t === 'string' ? `"${t}"` : 'untyped'} message${first ? `: ${first.instancePath || '/'} ${first.message}` : ''}`
}
