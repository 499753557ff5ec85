// Validation of whole resources: the kind's schema (with defaults filled in), then its semantic checks.
// Every failure is one Invalid error whose causes name field paths like spec.template.ports[0].name.
import { Compile } from 'typebox/compile'
import Value from 'typebox/value'
import type { TSchema } from 'typebox'
import { ApiError, type Cause } from './errors.js'
import { API_VERSION, type Resource } from './meta.js'
import { kindInfo, publicKinds, type KindInfo } from './kinds/index.js'
import { ANNOTATIONS_MAX_BYTES } from './kinds/common.js'

type Validator = ReturnType<typeof Compile<TSchema>>
const compiled = new Map<string, Validator>()

function validatorFor(info: KindInfo): Validator {
  let v = compiled.get(info.kind)
  if (!v) { v = Compile(info.schema); compiled.set(info.kind, v) }
  return v
}

/** "/spec/template/ports/0/name" → "spec.template.ports[0].name" */
export function fieldPath(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '')
}

interface SchemaError { keyword: string; schemaPath: string; instancePath: string; params: Record<string, unknown>; message: string }

export function schemaCauses(validator: Validator, value: unknown): Cause[] {
  const errors = [...validator.Errors(value)] as SchemaError[]
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath + '/anyOf')
  const causes: Cause[] = []
  for (const e of errors) {
    // "schema is false" repeats additionalProperties; branch errors repeat their anyOf.
    if (e.keyword === 'boolean') continue
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue
    const at = fieldPath(e.instancePath)
    if (e.keyword === 'additionalProperties') {
      for (const name of (e.params.additionalProperties as string[]) ?? []) {
        causes.push({ field: at ? `${at}.${name}` : name, reason: 'FieldValueUnknown', message: 'unknown field' })
      }
    } else if (e.keyword === 'required') {
      for (const name of (e.params.requiredProperties as string[]) ?? []) {
        causes.push({ field: at ? `${at}.${name}` : name, reason: 'FieldValueRequired', message: 'required field is missing' })
      }
    } else if (e.keyword === 'propertyNames') {
      causes.push({ field: at, reason: 'FieldValueInvalid', message: `${e.message}: a key is an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_", "." starting and ending alphanumeric` })
    } else if (e.keyword === 'enum') {
      causes.push({ field: at, reason: 'FieldValueNotSupported', message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` })
    } else if (e.keyword === 'anyOf') {
      causes.push({ field: at, reason: 'FieldValueInvalid', message: 'has the wrong type' })
    } else {
      causes.push({ field: at, reason: 'FieldValueInvalid', message: e.message })
    }
  }
  return dedupe(causes)
}

function dedupe(causes: Cause[]): Cause[] {
  const seen = new Set<string>()
  return causes.filter((c) => {
    const k = `${c.field}\u0000${c.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

export function invalid(kind: string, name: string, causes: Cause[]): ApiError {
  const first = causes.slice(0, 3).map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ')
  const more = causes.length > 3 ? ` (and ${causes.length - 3} more)` : ''
  return new ApiError('Invalid', `${kind} "${name}" is invalid: ${first}${more}`, { kind, name, causes })
}

/**
 * Checks envelope, schema and semantics of `input`, returning a defaulted deep copy. Throws
 * UnknownKind for a kind we do not serve, Invalid (with causes) for anything else wrong.
 */
export function validateResource(input: unknown, opts: { allowInternal?: boolean } = {}): Resource {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ApiError('BadRequest', 'a resource must be an object with apiVersion, kind, metadata and spec')
  }
  const obj = input as Partial<Resource>
  if (typeof obj.kind !== 'string' || !obj.kind) {
    throw new ApiError('Invalid', 'kind is missing', { causes: [{ field: 'kind', reason: 'FieldValueRequired', message: 'required field is missing' }] })
  }
  const info = kindInfo(obj.kind)
  if (!info || (info.internal && !opts.allowInternal)) {
    throw new ApiError('UnknownKind', `unknown kind "${obj.kind}" (known kinds: ${knownKinds()})`, { kind: obj.kind })
  }
  if (obj.apiVersion !== API_VERSION) {
    throw new ApiError('Invalid', `apiVersion "${obj.apiVersion ?? ''}" is not served; use ${API_VERSION}`, {
      kind: obj.kind, causes: [{ field: 'apiVersion', reason: 'FieldValueNotSupported', message: `must be ${API_VERSION}` }],
    })
  }
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : ''
  const copy = structuredClone(input) as Resource
  if (info.namespaced && copy.metadata && typeof copy.metadata === 'object' && !copy.metadata.namespace) copy.metadata.namespace = 'default'
  if (!info.namespaced && copy.metadata?.namespace) {
    throw invalid(info.kind, name, [{ field: 'metadata.namespace', reason: 'FieldValueForbidden', message: `${info.kind} is cluster-scoped and takes no namespace` }])
  }
  Value.Default(info.schema, copy)
  const validator = validatorFor(info)
  if (!validator.Check(copy)) throw invalid(info.kind, name, schemaCauses(validator, copy))
  const causes = [...annotationCauses(copy), ...(info.check?.(copy) ?? [])]
  if (causes.length) throw invalid(info.kind, name, causes)
  return copy
}

function knownKinds(): string {
  return publicKinds().map((k) => k.kind).join(', ')
}

/** Kubernetes' limit on annotations: 256 KiB of keys and values in all. */
function annotationCauses(obj: Resource): Cause[] {
  const a = obj.metadata?.annotations
  if (!a) return []
  let bytes = 0
  for (const [k, v] of Object.entries(a)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v)
  return bytes > ANNOTATIONS_MAX_BYTES
    ? [{ field: 'metadata.annotations', reason: 'FieldValueTooLong', message: `annotations total ${bytes} bytes; the limit is ${ANNOTATIONS_MAX_BYTES} (256 KiB)` }]
    : []
}
