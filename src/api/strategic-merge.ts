// Strategic merge patch, the subset kubectl sends (client-side apply, edit, patch): like a merge
// patch, except that a list of named objects merges item by item on its key (so a default the
// server filled into an item, such as a port's protocol, is not a difference), with the
// directives $patch (replace/delete), $setElementOrder/<list>, $deleteFromPrimitiveList/<list>
// and $retainKeys. Which lists merge by key comes from the kind's schema, the same rule the
// OpenAPI document states with x-kubernetes-patch-merge-key.
import { ApiError } from './errors.js'

type Obj = Record<string, unknown>
type Schema = Obj | undefined

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

/** The merge key of an array schema: its items are objects that require `name`. */
export function mergeKeyOf(schema: Schema): string | undefined {
  if (!schema || schema.type !== 'array') return undefined
  const items = schema.items as Schema
  return items && items.type === 'object' && Array.isArray(items.required) && items.required.includes('name') && isObj(items.properties) && 'name' in items.properties ? 'name' : undefined
}

/** The schema of property `key` of an object schema (properties, then maps' value schema). */
function child(schema: Schema, key: string): Schema {
  if (!schema) return undefined
  const props = schema.properties as Record<string, Obj> | undefined
  if (props && props[key]) return props[key]
  const pp = schema.patternProperties as Record<string, Obj> | undefined
  if (pp) return Object.values(pp)[0]
  if (isObj(schema.additionalProperties)) return schema.additionalProperties
  for (const branch of (schema.anyOf as Obj[] | undefined) ?? []) if (branch.type === 'object') return child(branch, key)
  return undefined
}

export function strategicMergePatch(target: unknown, patch: unknown, schema: Schema): unknown {
  if (!isObj(patch)) throw new ApiError('BadRequest', 'a strategic merge patch is a JSON object')
  return mergeObject(target, patch, schema)
}

function mergeObject(target: unknown, patch: Obj, schema: Schema): unknown {
  if (patch.$patch === 'replace') return strip(patch)
  if (patch.$patch === 'delete') return undefined
  const out: Obj = isObj(target) ? { ...target } : {}
  const orders: [string, unknown[]][] = []
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue
    if (k === '$retainKeys') continue
    if (k.startsWith('$setElementOrder/')) { if (Array.isArray(v)) orders.push([k.slice(17), v]); continue }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice(25)
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = (out[f] as unknown[]).filter((x) => !v.includes(x))
      continue
    }
    const s = child(schema, k)
    if (v === null) delete out[k]
    else if (Array.isArray(v)) {
      const key = mergeKeyOf(s)
      out[k] = key ? mergeList(out[k], v, key, s!.items as Schema) : v.map((x) => (isObj(x) ? strip(x) : x))
    } else if (isObj(v)) {
      const merged = mergeObject(out[k], v, s)
      if (merged === undefined) delete out[k]
      else out[k] = merged
    } else out[k] = v
  }
  if (isObj(patch.$retainKeys) || Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[])
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k]
  }
  for (const [f, order] of orders) {
    const key = mergeKeyOf(child(schema, f))
    if (key && Array.isArray(out[f])) out[f] = reorder(out[f] as Obj[], order as Obj[], key)
  }
  return out
}

function mergeList(target: unknown, patch: unknown[], key: string, itemSchema: Schema): unknown[] {
  const out: unknown[] = Array.isArray(target) ? [...target] : []
  for (const item of patch) {
    if (!isObj(item)) throw new ApiError('BadRequest', `a strategic merge patch list item must be an object with "${key}"`)
    const at = out.findIndex((x) => isObj(x) && x[key] === item[key])
    if (item.$patch === 'delete') { if (at >= 0) out.splice(at, 1); continue }
    if (at >= 0) out[at] = mergeObject(out[at], item, itemSchema)
    else out.push(strip(item))
  }
  return out
}

function reorder(items: Obj[], order: Obj[], key: string): Obj[] {
  const rank = new Map(order.map((o, i) => [o[key], i]))
  const known = items.filter((x) => rank.has(x[key])).sort((a, b) => rank.get(a[key])! - rank.get(b[key])!)
  return [...known, ...items.filter((x) => !rank.has(x[key]))]
}

/** The patch's own value with its directives removed (what is stored when nothing merges). */
function strip(v: Obj): Obj {
  const out: Obj = {}
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue
    out[k] = isObj(x) ? strip(x) : Array.isArray(x) ? x.map((y) => (isObj(y) ? strip(y) : y)) : x
  }
  return out
}
