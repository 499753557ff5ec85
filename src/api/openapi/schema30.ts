// The validating schemas (JSON Schema 2020-12, as typebox writes them) restated in the older
// dialect of OpenAPI 3.0 and Swagger 2.0, which kubectl's parser (kube-openapi) reads: a numeric
// exclusiveMinimum becomes minimum + exclusiveMinimum: true, const becomes a one-value enum,
// patternProperties becomes additionalProperties, a union of constants becomes an enum.
import { mergeKeyOf } from '../strategic-merge.js'

type Schema = Record<string, unknown>

export function toOpenApi30(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(toOpenApi30)
  if (!input || typeof input !== 'object') return input
  const s = input as Schema
  const out: Schema = {}
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case '$id': case '$schema': break
      // OpenAPI 3.0 has no propertyNames (label keys' rules): the server still checks them.
      case 'propertyNames': break
      case 'const':
        out.enum = [v]
        if (s.type === undefined && v !== null) out.type = typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v
        break
      case 'exclusiveMinimum': case 'exclusiveMaximum':
        if (typeof v === 'number') {
          out[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = v
          out[k] = true
        } else out[k] = v
        break
      case 'patternProperties': {
        const values = Object.values(v as Schema)
        if (values.length && s.additionalProperties === undefined) out.additionalProperties = toOpenApi30(values[0])
        break
      }
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, toOpenApi30(ps)]))
        break
      case 'type':
        if (Array.isArray(v)) {
          const types = v.filter((t) => t !== 'null')
          out.type = types[0]
          if (types.length < v.length) out.nullable = true
        } else out.type = v
        break
      case 'anyOf': case 'oneOf': {
        let branches = (v as Schema[]).map((b) => toOpenApi30(b) as Schema)
        // OpenAPI 3.0 has no null type: a nullable union says so instead.
        if (branches.some((b) => b.type === 'null')) {
          branches = branches.filter((b) => b.type !== 'null')
          out.nullable = true
          if (branches.length === 1) { Object.assign(out, branches[0]); break }
        }
        const consts = branches.every((b) => Array.isArray(b.enum) && Object.keys(b).every((x) => x === 'enum' || x === 'type' || x === 'description'))
        if (consts) {
          out.enum = branches.flatMap((b) => b.enum as unknown[])
          const types = new Set(branches.map((b) => b.type))
          if (types.size === 1 && s.type === undefined) out.type = [...types][0]
        } else if (isIntOrString(branches)) {
          out['x-kubernetes-int-or-string'] = true
        } else out[k] = branches
        break
      }
      default:
        out[k] = k === 'items' || k === 'additionalProperties' || k === 'not' || k === 'allOf' ? toOpenApi30(v) : v
    }
  }
  const key = mergeKeyOf(s)
  if (key) Object.assign(out, { 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] })
  return out
}

/** A string-or-number (a quantity such as 500m or 0.5): Kubernetes' int-or-string. */
function isIntOrString(branches: Schema[]): boolean {
  const types = branches.map((b) => b.type).sort()
  return branches.length === 2 && types[0] !== undefined && ['integer', 'number'].includes(String(types[0])) && types[1] === 'string'
}
