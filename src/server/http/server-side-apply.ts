// Server-side apply with a field manager (kubectl apply --server-side sends fieldManager=kubectl):
// ownership in metadata.managedFields, a 409 naming every field another manager owns (unless
// force=true), and fields a manager stops applying removed. Other writes that name a fieldManager
// record what they changed, so an apply after `kubectl scale` conflicts on .spec.replicas.
import { ApiError } from '../../api/errors.js'
import { API_VERSION, type Resource } from '../../api/meta.js'
import { applyConfig, recordUpdate } from '../../api/managed-fields.js'
import { deepEqualJson } from '../../api/json-equal.js'
import type { Store, WriteOptions } from '../../store/types.js'
import type { ResourcePath } from './resource-path.js'

type Obj = Record<string, any>

export interface SsaContext {
  store: Store
  path: ResourcePath
  /** Validates and defaults a whole object for this path (the resource API's checkBody). */
  check: (body: unknown) => Resource
  now: () => number
}

export async function serverSideApply(c: SsaContext, body: unknown, manager: string, force: boolean, w: WriteOptions): Promise<{ created: boolean; obj: Resource }> {
  // The config is checked as a whole object first (a config that would never validate is a 422
  // naming its fields), but ownership is of what the caller wrote, not of the defaults.
  c.check(structuredClone(body))
  const config = body as Obj
  const schema = c.path.info.schema as unknown as Obj
  for (let attempt = 0; ; attempt++) {
    const current = await c.store.get(c.path.info.kind, c.path.namespace, c.path.name!)
    const now = new Date(c.now()).toISOString()
    const out = applyConfig(current as Obj | undefined, config, manager, schema, { force, now, apiVersion: API_VERSION })
    if (out.conflicts.length) {
      const list = out.conflicts.map((x) => `conflict with "${x.manager}": ${x.field}`)
      throw new ApiError('Conflict', `Apply failed with ${list.length} conflict${list.length > 1 ? 's' : ''}: ${list.join('; ')} (apply with force=true — kubectl apply --server-side --force-conflicts — to take them)`, {
        kind: c.path.info.kind, name: c.path.name, causes: out.conflicts.map((x) => ({ field: x.field, reason: 'FieldManagerConflict', message: `conflict with "${x.manager}"` })),
      })
    }
    const obj = c.check(out.obj)
    try {
      if (!current) {
        const { status: _s, ...rest } = obj
        return { created: true, obj: await c.store.create(c.path.info.hasStatus ? rest as Resource : obj, w) }
      }
      if (sameButTimes(current, obj)) return { created: false, obj: current }
      return { created: false, obj: await c.store.update({ ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } }, w) }
    } catch (err) {
      if (attempt < 3 && err instanceof ApiError && (err.code === 'Conflict' || err.code === 'AlreadyExists')) continue
      throw err
    }
  }
}

/** Stamps the managed fields of a non-apply write by `manager` onto `next`. */
export function withUpdateRecorded(c: Pick<SsaContext, 'path' | 'now'>, before: Resource | undefined, next: Resource, manager: string | undefined): Resource {
  if (!manager) return next
  const entries = recordUpdate(before as Obj | undefined, next as Obj, manager, c.path.info.schema as unknown as Obj, { now: new Date(c.now()).toISOString(), apiVersion: API_VERSION })
  return { ...next, metadata: { ...next.metadata, managedFields: entries } }
}

function sameButTimes(a: Resource, b: Resource): boolean {
  const strip = (o: Resource) => {
    const { status: _s, ...rest } = o
    const { resourceVersion: _r, generation: _g, managedFields, ...meta } = o.metadata
    return { ...rest, metadata: { ...meta, managedFields: managedFields?.map(({ time: _t, ...m }) => m) } }
  }
  return deepEqualJson(strip(a), strip(b))
}
