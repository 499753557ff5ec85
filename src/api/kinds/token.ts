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
}, Strict)

export const TokenStatusSchema = Type.Object({
  uses: Type.Integer({ minimum: 0 }),
  lastUsed: Type.Optional(Type.String()),
}, Strict)

export const TokenSchema = envelope('Token', TokenSpecSchema, TokenStatusSchema)
export type TokenSpec = Static<typeof TokenSpecSchema>
export interface Token { apiVersion: string; kind: 'Token'; metadata: ObjectMeta; spec: TokenSpec; status?: Static<typeof TokenStatusSchema> }
