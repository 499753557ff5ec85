// The scale subresource of Apps, in the shape of autoscaling/v1 Scale: `kubectl scale app/NAME
// --replicas=N` reads and writes spec.replicas through it (GET, PUT, or a patch of the Scale).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { invalid, validateResource } from '../../api/validate.js'
import { mergePatch } from '../../api/merge-patch.js'
import { strategicMergePatch } from '../../api/strategic-merge.js'
import type { Resource } from '../../api/meta.js'
import type { App } from '../../api/kinds/index.js'
import type { Store, WriteOptions } from '../../store/types.js'
import type { ResourcePath } from './resource-path.js'
import { parseBody, parseJsonBody } from './body.js'
import { applyJsonPatch } from './json-patch.js'
import { withUpdateRecorded } from './server-side-apply.js'

interface Scale {
  kind: 'Scale'
  apiVersion: 'autoscaling/v1'
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string }
  spec: { replicas: number }
  status: { replicas: number; selector: string }
}

export function scaleOf(app: App): Scale {
  const { name, namespace, uid, resourceVersion, creationTimestamp } = app.metadata
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: app.spec.replicas },
    status: { replicas: app.status?.replicas ?? 0, selector: `edgeplane.io/app=${name}` },
  }
}

export async function scaleRequest(store: Store, path: ResourcePath, req: FastifyRequest, reply: FastifyReply, w: WriteOptions, manager?: string, now: () => number = Date.now): Promise<Scale> {
  const app = await store.get<App>('App', path.namespace, path.name!)
  if (!app) throw new ApiError('NotFound', `app "${path.name}" not found in namespace "${path.namespace}"`, { kind: 'App', name: path.name })
  if (req.method === 'GET') return scaleOf(app)
  const current = scaleOf(app)
  let next: unknown
  if (req.method === 'PUT') next = parseBody(req)
  else if (req.method === 'PATCH') {
    const ct = String(req.headers['content-type'] ?? '')
    if (ct.startsWith('application/json-patch+json')) next = applyJsonPatch(current, parseJsonBody(req))
    else if (ct.startsWith('application/merge-patch+json')) next = mergePatch(current, parseBody(req))
    else if (ct.startsWith('application/strategic-merge-patch+json')) next = strategicMergePatch(current, parseJsonBody(req), undefined)
    else throw new ApiError('UnsupportedMediaType', `PATCH of a scale takes application/json-patch+json, application/merge-patch+json or application/strategic-merge-patch+json, not "${ct}"`)
  } else throw new ApiError('MethodNotAllowed', `a scale is read with GET and written with PUT or PATCH, not ${req.method}`)
  const s = next as Partial<Scale>
  const replicas = s?.spec?.replicas
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', path.name!, [{ field: 'spec.replicas', reason: 'FieldValueInvalid', message: 'must be a whole number ≥ 0' }])
  }
  if (app.spec.autoscale) reply.header('warning', `299 - "app ${path.name} has spec.autoscale: the autoscaler sets its replicas within min/max; spec.replicas is the starting point"`)
  const rv = s.metadata?.resourceVersion
  const obj = validateResource({ ...app, metadata: { ...app.metadata, resourceVersion: rv || app.metadata.resourceVersion }, spec: { ...app.spec, replicas } })
  const updated = await store.update<Resource>(withUpdateRecorded({ path, now }, app, obj, manager), w)
  return scaleOf(updated as App)
}
