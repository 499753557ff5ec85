// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` on a list or get: the kind's columns
// (src/api/table/columns.ts) filled in, so `kubectl get` shows what `edgeplane get` shows.
import type { FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseFieldSelector, matchesFields } from '../../api/field-selector.js'
import { parseSelector } from '../../api/labels.js'
import { tableVersionOf, toTable, type IncludeObject, type Table } from '../../api/table/table.js'
import type { Resource } from '../../api/meta.js'
import type { Store } from '../../store/types.js'
import type { ResourcePath } from './resource-path.js'

const INCLUDE: IncludeObject[] = ['None', 'Metadata', 'Object']

/** The Table answer when the request asks for one (a GET of a collection or an object, not a watch); else undefined. */
export async function tableAnswer(store: Store, path: ResourcePath, req: FastifyRequest, live: (o: Resource) => Resource = (o) => o, now = Date.now()): Promise<Table | undefined> {
  const version = tableVersionOf(req.headers.accept)
  if (!version || req.method !== 'GET' || path.sub) return undefined
  const q = req.query as { labelSelector?: string; fieldSelector?: string; watch?: string; includeObject?: string }
  if (q.watch === 'true' || q.watch === '1') return undefined
  const includeObject = (q.includeObject ?? 'Metadata') as IncludeObject
  if (!INCLUDE.includes(includeObject)) throw new ApiError('BadRequest', `includeObject "${q.includeObject}": use None, Metadata or Object`)
  if (path.name !== undefined) {
    const obj = await store.get(path.info.kind, path.namespace, path.name)
    if (!obj) throw new ApiError('NotFound', `${path.info.singular} "${path.name}" not found${path.info.namespaced ? ` in namespace "${path.namespace}"` : ''}`, { kind: path.info.kind, name: path.name })
    return toTable(path.info.kind, [live(obj)], { version, includeObject, now, resourceVersion: obj.metadata.resourceVersion })
  }
  const fields = parseFieldSelector(q.fieldSelector)
  const { items, revision } = await store.list(path.info.kind, { namespace: path.namespace, labelSelector: parseSelector(q.labelSelector) })
  const shown = fields.length ? items.filter((o) => matchesFields(o, fields)) : items
  return toTable(path.info.kind, shown.map(live), { version, includeObject, now, resourceVersion: String(revision) })
}
