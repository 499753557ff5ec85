// Server-side apply's field ownership: which manager set which field (metadata.managedFields, in
// Kubernetes' FieldsV1 form: {"f:spec": {"f:replicas": {}}}, list items of a keyed list as
// k:{"name":"http"}, other lists owned whole). An apply that would change a field another manager
// owns is a conflict unless forced; fields a manager stops applying are removed unless someone
// else owns them too.
import { mergeKeyOf, strategicMergePatch } from './strategic-merge.js'
import { deepEqualJson } from './json-equal.js'

type Obj = Record<string, any>
type Schema = Obj | undefined

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: Obj
}

/** A field path as FieldsV1 segments ("f:spec", "k:{\"name\":\"http\"}"), joined by "\u0000". */
type Path = string
const SEP = '\u0000'
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

/** What the server sets, never owned by anyone. */
const SERVER_META = new Set(['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'name', 'namespace'])

function child(schema: Schema, key: string): Schema {
  if (!schema) return undefined
  if (schema.properties?.[key]) return schema.properties[key]
  if (schema.patternProperties) return Object.values(schema.patternProperties)[0] as Obj
  if (isObj(schema.additionalProperties)) return schema.additionalProperties
  return undefined
}

/** The leaf fields `obj` sets (apiVersion, kind, server metadata and status excluded). */
export function fieldSet(obj: Obj, schema: Schema): Set<Path> {
  const out = new Set<Path>()
  const walk = (v: unknown, s: Schema, prefix: string[]) => {
    if (isObj(v)) {
      const keys = Object.keys(v)
      if (!keys.length && prefix.length) out.add(prefix.join(SEP))
      for (const k of keys) walk(v[k], child(s, k), [...prefix, `f:${k}`])
      return
    }
    const key = Array.isArray(v) ? mergeKeyOf(s) : undefined
    if (key && Array.isArray(v)) {
      for (const item of v) {
        if (!isObj(item)) continue
        const seg = `k:${JSON.stringify({ [key]: item[key] })}`
        out.add([...prefix, seg].join(SEP))
        walk(item, s!.items as Schema, [...prefix, seg])
      }
      return
    }
    out.add(prefix.join(SEP))
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue
    if (k === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_META.has(mk)) walk(mv, child(child(schema, 'metadata'), mk), ['f:metadata', `f:${mk}`])
      continue
    }
    walk(v, child(schema, k), [`f:${k}`])
  }
  return out
}

export function toFieldsV1(set: Set<Path>): Obj {
  const root: Obj = {}
  const nodes: Obj[] = []
  for (const p of set) {
    let cur = root
    for (const seg of p.split(SEP)) cur = cur[seg] ??= {}
    nodes.push(cur)
  }
  // A field owned itself and through its children (a keyed list item) is marked "." as well.
  for (const n of nodes) if (Object.keys(n).some((k) => k !== '.')) n['.'] = {}
  return root
}

export function fromFieldsV1(f: Obj | undefined): Set<Path> {
  const out = new Set<Path>()
  const walk = (o: Obj, prefix: string[]) => {
    const keys = Object.keys(o).filter((k) => k !== '.')
    if (!keys.length) { if (prefix.length) out.add(prefix.join(SEP)); return }
    if ('.' in o) out.add(prefix.join(SEP))
    for (const k of keys) walk(o[k] ?? {}, [...prefix, k])
  }
  if (isObj(f)) walk(f, [])
  return out
}

/** ".spec.template.ports[name=\"http\"].protocol", for messages. */
export function displayPath(p: Path): string {
  return p.split(SEP).map((seg) => seg.startsWith('f:') ? `.${seg.slice(2)}` : `[${Object.entries(JSON.parse(seg.slice(2))).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`).join('')
}

function locate(obj: unknown, p: Path): { parent: any; key: string | number } | undefined {
  const segs = p.split(SEP)
  let cur: any = obj
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]
    let key: string | number
    if (seg.startsWith('f:')) {
      if (!isObj(cur)) return undefined
      key = seg.slice(2)
    } else {
      if (!Array.isArray(cur)) return undefined
      const want = JSON.parse(seg.slice(2)) as Obj
      key = cur.findIndex((x) => isObj(x) && Object.entries(want).every(([k, v]) => x[k] === v))
      if (key < 0) return undefined
    }
    if (i === segs.length - 1) return { parent: cur, key }
    cur = (cur as any)[key]
  }
  return undefined
}

export function valueAt(obj: unknown, p: Path): unknown {
  const at = locate(obj, p)
  return at ? at.parent[at.key] : undefined
}

function removeAt(obj: unknown, p: Path): void {
  const at = locate(obj, p)
  if (!at) return
  if (Array.isArray(at.parent)) at.parent.splice(at.key as number, 1)
  else delete at.parent[at.key]
}

export interface ApplyOutcome { obj: Obj; conflicts: { manager: string; field: string }[] }

/**
 * Applies `config` for `manager` onto `current` (undefined: a create). Returns the merged object
 * with its managedFields, or the conflicts with other managers (none when forced: they lose the
 * fields). `now` is the time stamped on the manager's entry.
 */
export function applyConfig(current: Obj | undefined, config: Obj, manager: string, schema: Schema, opts: { force: boolean; now: string; apiVersion: string }): ApplyOutcome {
  const entries: ManagedFieldsEntry[] = structuredClone(current?.metadata?.managedFields ?? [])
  const mine = fieldSet(config, schema)
  const conflicts: { manager: string; field: string }[] = []
  const sets = entries.map((e) => ({ e, set: fromFieldsV1(e.fieldsV1) }))
  for (const { e, set } of sets) {
    if (e.manager === manager && e.operation === 'Apply') continue
    for (const p of mine) {
      if (!set.has(p)) continue
      if (current && !deepEqualJson(valueAt(current, p), valueAt(config, p))) {
        if (opts.force) set.delete(p)
        else conflicts.push({ manager: e.manager, field: displayPath(p) })
      }
    }
  }
  if (conflicts.length) return { obj: current ?? config, conflicts }
  const previous = sets.find((s) => s.e.manager === manager && s.e.operation === 'Apply')?.set ?? new Set<Path>()
  let merged: Obj = structuredClone(current ?? {})
  // Fields this manager applied before and no longer does go, unless another manager owns them.
  for (const p of previous) {
    if (mine.has(p)) continue
    if (sets.some((s) => !(s.e.manager === manager && s.e.operation === 'Apply') && s.set.has(p))) continue
    removeAt(merged, p)
  }
  const { metadata: cfgMeta, ...cfgRest } = config
  merged = strategicMergePatch(merged, { ...cfgRest, metadata: cfgMeta }, schema) as Obj
  const next: ManagedFieldsEntry[] = sets
    .filter((s) => !(s.e.manager === manager && s.e.operation === 'Apply') && s.set.size > 0)
    .map((s) => ({ ...s.e, fieldsV1: toFieldsV1(s.set) }))
  next.push({ manager, operation: 'Apply', apiVersion: opts.apiVersion, time: opts.now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) })
  merged.metadata = { ...merged.metadata, managedFields: next }
  return { obj: merged, conflicts }
}

/**
 * A write that is not an apply (create, update, patch) by `manager`: it owns the fields it
 * changed (or, on create, set), and other managers lose them.
 */
export function recordUpdate(before: Obj | undefined, after: Obj, manager: string, schema: Schema, opts: { now: string; apiVersion: string }): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = structuredClone(before?.metadata?.managedFields ?? after.metadata?.managedFields ?? [])
  const afterSet = fieldSet(after, schema)
  const changed = new Set([...afterSet].filter((p) => !before || !deepEqualJson(valueAt(before, p), valueAt(after, p))))
  const out: ManagedFieldsEntry[] = []
  let own: Set<Path> | undefined
  for (const e of entries) {
    const set = fromFieldsV1(e.fieldsV1)
    if (e.manager === manager && e.operation === 'Update') { own = set; continue }
    for (const p of changed) set.delete(p)
    for (const p of [...set]) if (!afterSet.has(p)) set.delete(p)
    if (set.size) out.push({ ...e, fieldsV1: toFieldsV1(set) })
  }
  const mine = new Set([...(own ?? []), ...changed].filter((p) => afterSet.has(p)))
  if (mine.size) out.push({ manager, operation: 'Update', apiVersion: opts.apiVersion, time: opts.now, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) })
  return out
}
