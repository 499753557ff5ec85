import { Type, StringEnum, Strict, envelope, type Static } from './common.js'
import type { ObjectMeta } from '../meta.js'

// Internal kind: credentials, stored hashed. Never listed through the resource API.
export const TOKEN_TYPES = ['admin', 'join', 'node'] as const

export const TokenSpecSchema = Type.Object({
  type: StringEnum(TOKEN_TYPES),
  hash: Type.String(),
  node: Type.Optional(Type.String()),
  site: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  maxUses: Type.Optional(Type.Integer({ minimum: 1 })),
  description: Type.Optional(Type.String()),
  /** Join tokens and node credentials: the node may run a site gateway (it is trusted by other gateways). */
  gateway: Type.Optional(Type.Boolean()),
  /** API tokens: the built-in role (src/server/auth/roles.ts); none means admin (tokens made before roles). */
  role: Type.Optional(Type.String()),
  /** API tokens: the one namespace the role applies in (namespaced roles only). */
  namespace: Type.Optional(Type.String()),
  /** session-client tokens: the apps ("namespace/name") whose sessions it may use. */
  apps: Type.Optional(Type.Array(Type.String())),
}, Strict)

export const TokenStatusSchema = Type.Object({
  uses: Type.Integer({ minimum: 0 }),
  lastUsed: Type.Optional(Type.String()),
}, Strict)

export const TokenSchema = envelope('Token', TokenSpecSchema, TokenStatusSchema)
export type TokenSpec = Static<typeof TokenSpecSchema>
export interface Token { apiVersion: string; kind: 'Token'; metadata: ObjectMeta; spec: TokenSpec; status?: Static<typeof TokenStatusSchema> }
