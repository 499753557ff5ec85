import { Type, StringEnum, Strict, ObjectMetaSchema, type Static } from './common.js'

// Events keep the Kubernetes shape (fields at the top level, no spec/status) so kubectl can read them.
export const EventSchema = Type.Object({
  apiVersion: Type.Literal('edgeplane.io/v1'),
  kind: Type.Literal('Event'),
  metadata: ObjectMetaSchema,
  involvedObject: Type.Object({
    kind: Type.String(),
    namespace: Type.Optional(Type.String()),
    name: Type.String(),
    uid: Type.Optional(Type.String()),
  }, Strict),
  type: StringEnum(['Normal', 'Warning'] as const),
  reason: Type.String(),
  message: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  firstTimestamp: Type.String(),
  lastTimestamp: Type.String(),
  source: Type.Object({ component: Type.String(), node: Type.Optional(Type.String()) }, Strict),
}, Strict)
export type Event = Static<typeof EventSchema>
