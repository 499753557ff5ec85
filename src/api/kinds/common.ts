// Schema pieces shared by every kind.
import Type, { type TSchema, type Static } from 'typebox'

export { Type }
export type { Static, TSchema }

/** A string enum that validates as `{enum}` (one clear error) and types as a union. */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

export const Strict = { additionalProperties: false } as const

export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$'

export const StringMap = Type.Record(Type.String(), Type.String())

/** Kubernetes' label key: an optional DNS-subdomain prefix and "/", then a name of ≤ 63 characters. */
export const LABEL_KEY_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'
/** Kubernetes' label value: empty, or ≤ 63 characters of letters, digits, "-", "_", "." starting and ending alphanumeric. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$'
// Keys are checked by propertyNames (a Record keyed by a pattern trips typebox's Value.Default on a bad key).
const labelKeys = { propertyNames: { pattern: LABEL_KEY_PATTERN, maxLength: 317 } }
/** Labels as Kubernetes limits them (keys and values), at most `max` of them. */
export function Labels(max = 256) {
  return Type.Record(Type.String(), Type.String({ maxLength: 63, pattern: LABEL_VALUE_PATTERN }), { maxProperties: max, ...labelKeys })
}
/** Annotations: label-like keys; Kubernetes' limit of 256 KiB in all is checked by validate.ts (ANNOTATIONS_MAX_BYTES). */
export const AnnotationsSchema = Type.Record(Type.String(), Type.String({ maxLength: 262144 }), { maxProperties: 1024, ...labelKeys })
export const ANNOTATIONS_MAX_BYTES = 256 * 1024

export const ObjectMetaSchema = Type.Object({
  name: Type.String({ pattern: NAME_PATTERN, maxLength: 253, description: 'lower-case letters, digits, "-" and "."' }),
  namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' })),
  uid: Type.Optional(Type.String()),
  labels: Type.Optional(Labels()),
  annotations: Type.Optional(AnnotationsSchema),
  resourceVersion: Type.Optional(Type.String()),
  generation: Type.Optional(Type.Integer()),
  creationTimestamp: Type.Optional(Type.String()),
  /** The objects this one belongs to (an Instance and a Revision to their App). */
  ownerReferences: Type.Optional(Type.Array(Type.Object({
    apiVersion: Type.String(), kind: Type.String(), name: Type.String(), uid: Type.String(),
    controller: Type.Optional(Type.Boolean()), blockOwnerDeletion: Type.Optional(Type.Boolean()),
  }, Strict), { maxItems: 16 })),
  /** Server-side apply: which manager owns which fields (set by the server). */
  managedFields: Type.Optional(Type.Array(Type.Object({
    manager: Type.String(), operation: Type.String(), apiVersion: Type.String(), time: Type.Optional(Type.String()),
    fieldsType: Type.Optional(Type.String()), fieldsV1: Type.Optional(Type.Unknown()), subresource: Type.Optional(Type.String()),
  }, Strict), { maxItems: 64 })),
}, Strict)

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Type.String()),
}, Strict)

export const Quantity = Type.Union([Type.String({ maxLength: 32 }), Type.Number({ minimum: 0 })], {
  description: 'cpu: cores (0.5) or millicores (500m); memory: bytes or 256Mi / 1G',
})

export const ResourcesSchema = Type.Object({
  cpu: Type.Optional(Quantity),
  memory: Type.Optional(Quantity),
}, Strict)

/** Capacity as numbers: cpu in millicores, memory in bytes. */
export const CapacitySchema = Type.Object({
  // Bounds far above any machine (a million cores, an exabyte) but below what breaks arithmetic.
  cpu: Type.Number({ minimum: 0, maximum: 1e9 }),
  memory: Type.Number({ minimum: 0, maximum: 1e18 }),
}, Strict)
export type Capacity = Static<typeof CapacitySchema>

export const GeoSchema = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
}, Strict)
export type Geo = Static<typeof GeoSchema>

export function envelope<K extends string, S extends TSchema, St extends TSchema>(kind: K, spec: S, status: St) {
  return Type.Object({
    apiVersion: Type.Literal('edgeplane.io/v1'),
    kind: Type.Literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: Type.Optional(status),
  }, Strict)
}
