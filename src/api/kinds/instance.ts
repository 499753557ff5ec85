import { Type, StringEnum, Strict, StringMap, envelope, type Static } from './common.js'
import { TemplateSchema } from './app.js'
import type { ObjectMeta } from '../meta.js'

export const INSTANCE_PHASES = ['Pending', 'Starting', 'Running', 'Failed', 'Stopped', 'Unknown'] as const
export type InstancePhase = (typeof INSTANCE_PHASES)[number]

export const InstanceSpecSchema = Type.Object({
  app: Type.String(),
  revision: Type.String({ description: 'hash of the template this instance runs' }),
  node: Type.String(),
  site: Type.String(),
  template: TemplateSchema,
  /** For session apps: the key this instance checks session tokens with (EDGEPLANE_SESSION_KEY). */
  sessionKey: Type.Optional(Type.String()),
  /** For session apps: how many sessions it hosts (EDGEPLANE_SESSION_SLOTS). */
  slots: Type.Optional(Type.Integer({ minimum: 1 })),
}, Strict)

export const InstanceStatusSchema = Type.Object({
  phase: StringEnum(INSTANCE_PHASES),
  ready: Type.Boolean(),
  restarts: Type.Integer({ minimum: 0 }),
  node: Type.String(),
  site: Type.String(),
  endpoints: StringMap,
  pid: Type.Optional(Type.Integer()),
  startedAt: Type.Optional(Type.String()),
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  message: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  updatedAt: Type.Optional(Type.String()),
}, Strict)

export const InstanceSchema = envelope('Instance', InstanceSpecSchema, InstanceStatusSchema)
export type InstanceSpec = Static<typeof InstanceSpecSchema>
export type InstanceStatus = Static<typeof InstanceStatusSchema>
export interface Instance { apiVersion: string; kind: 'Instance'; metadata: ObjectMeta; spec: InstanceSpec; status?: InstanceStatus }

/** An update of the same instance that changed neither its spec (generation) nor its node: a status report. */
export function statusOnly(prev: { metadata: { generation?: number }; spec: { node: string } } | undefined, next: { metadata: { generation?: number }; spec: { node: string } }): boolean {
  return !!prev && prev.metadata.generation === next.metadata.generation && prev.spec.node === next.spec.node
}
