import { Type, StringEnum, Strict, GeoSchema, CapacitySchema, ConditionSchema, envelope, type Static } from './common.js'
import type { ObjectMeta } from '../meta.js'

import { TIERS } from './tiers.js'
export { TIERS }

export const SiteSpecSchema = Type.Object({
  region: Type.String({ minLength: 1, maxLength: 63 }),
  provider: Type.String({ minLength: 1, maxLength: 63 }),
  tier: StringEnum(TIERS, { default: 'edge' }),
  geo: Type.Optional(GeoSchema),
  gateway: Type.Optional(Type.Object({ address: Type.String({ description: 'host:port of the site gateway' }) }, Strict)),
  pricePerCpuHour: Type.Optional(Type.Number({ minimum: 0 })),
  unschedulable: Type.Optional(Type.Boolean()),
}, Strict)

export const SiteStatusSchema = Type.Object({
  nodes: Type.Integer({ minimum: 0 }),
  readyNodes: Type.Integer({ minimum: 0 }),
  capacity: CapacitySchema,
  allocatable: CapacitySchema,
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, Strict)

export const SiteSchema = envelope('Site', SiteSpecSchema, SiteStatusSchema)
export type SiteSpec = Static<typeof SiteSpecSchema>
export type SiteStatus = Static<typeof SiteStatusSchema>
export interface Site { apiVersion: string; kind: 'Site'; metadata: ObjectMeta; spec: SiteSpec; status?: SiteStatus }
