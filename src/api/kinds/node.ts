import { Type, StringEnum, Strict, CapacitySchema, ConditionSchema, envelope, type Static } from './common.js'
import type { ObjectMeta } from '../meta.js'

export const NodeSpecSchema = Type.Object({
  site: Type.String({ minLength: 1 }),
  address: Type.String({ minLength: 1, description: 'the address instances on this node bind to and are reached at' }),
  unschedulable: Type.Optional(Type.Boolean()),
}, Strict)

export const LinkStatusSchema = Type.Object({
  state: StringEnum(['Connected', 'Disconnected'] as const),
  reason: Type.Optional(Type.String()),
  lastSeen: Type.Optional(Type.String()),
  connectedAt: Type.Optional(Type.String()),
  bytesIn: Type.Integer({ minimum: 0 }),
  bytesOut: Type.Integer({ minimum: 0 }),
  desiredVersion: Type.Optional(Type.Integer()),
  ackedVersion: Type.Optional(Type.Integer()),
}, Strict)

export const NodeStatusSchema = Type.Object({
  capacity: CapacitySchema,
  allocatable: CapacitySchema,
  usage: Type.Optional(CapacitySchema),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  link: Type.Optional(LinkStatusSchema),
  agent: Type.Optional(Type.Object({ version: Type.String(), pid: Type.Optional(Type.Integer()), os: Type.Optional(Type.String()) }, Strict)),
}, Strict)

export const NodeSchema = envelope('Node', NodeSpecSchema, NodeStatusSchema)
export type NodeSpec = Static<typeof NodeSpecSchema>
export type NodeStatus = Static<typeof NodeStatusSchema>
export type LinkStatus = Static<typeof LinkStatusSchema>
export interface Node { apiVersion: string; kind: 'Node'; metadata: ObjectMeta; spec: NodeSpec; status?: NodeStatus }
