import { Type, StringEnum, Strict, StringMap, GeoSchema, envelope, type Static } from './common.js'
import type { ObjectMeta } from '../meta.js'

// An on-demand instance lease for one end user (cloud gaming, cloud apps): a slot of an instance
// near the user, for a while. Created through POST /v1/sessions, not applied.
export const SESSION_PHASES = ['Active', 'Released', 'Expired', 'Lost'] as const

export const SessionSpecSchema = Type.Object({
  app: Type.String(),
  site: Type.String(),
  node: Type.String(),
  instance: Type.String(),
  slot: Type.Integer({ minimum: 0 }),
  clientIp: Type.Optional(Type.String()),
  location: Type.Optional(GeoSchema),
  idempotencyKey: Type.Optional(Type.String({ maxLength: 200 })),
  metadata: Type.Optional(StringMap),
}, Strict)

export const SessionStatusSchema = Type.Object({
  phase: StringEnum(SESSION_PHASES),
  expiresAt: Type.String(),
  endpoint: Type.Object({ address: Type.String(), port: Type.Integer(), url: Type.String() }, Strict),
  /** How the slot was obtained: a warm slot, or a cold start. */
  start: StringEnum(['warm', 'cold'] as const),
  reason: Type.Optional(Type.String()),
  /** Why this site won (distance budget, warm slot or cold start), and its distance to the user. */
  placement: Type.Optional(Type.Object({ reason: Type.String(), distanceKm: Type.Optional(Type.Integer({ minimum: 0 })) }, Strict)),
  endedAt: Type.Optional(Type.String()),
}, Strict)

export const SessionSchema = envelope('Session', SessionSpecSchema, SessionStatusSchema)
export type SessionSpec = Static<typeof SessionSpecSchema>
export type SessionStatus = Static<typeof SessionStatusSchema>
export interface Session { apiVersion: string; kind: 'Session'; metadata: ObjectMeta; spec: SessionSpec; status?: SessionStatus }
