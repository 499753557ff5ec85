// Kubernetes manifests through the API. POST /v1/import takes a whole manifest (Deployments with
// their Services and HPAs) and creates or updates the Apps it becomes; /apis/apps/v1 deployments
// take one Deployment each, so `kubectl create|apply -f deployment.yaml` works. What cannot be
// honoured comes back as Kubernetes Warning headers (kubectl prints them) and in the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseManifests } from '../../api/manifest.js'
import type { Resource } from '../../api/meta.js'
import { validateResource } from '../../api/validate.js'
import { importManifests, isKubernetesKind } from '../../api/k8s-import/deployment.js'
import { formatWarning, type ImportWarning } from '../../api/k8s-import/warnings.js'
import type { Store, WriteOptions } from '../../store/types.js'
import { parseBody } from './body.js'
import { dryRunOf, text, type RawQuery } from './query.js'

const IMPORTED = 'edgeplane.io/imported-from'

export function registerImportRoutes(app: FastifyInstance, store: Store): void {
  app.post('/v1/import', async (req, reply) => {
    const q = req.query as RawQuery
    const raw = typeof req.body === 'string' ? req.body : ''
    if (!raw.trim()) throw new ApiError('BadRequest', 'the request body is empty: send a manifest (YAML or JSON) with apps/v1 Deployments')
    const docs = parseManifests(raw, 'request body')
    const other = docs.filter((d) => !isKubernetesKind(d))
    if (other.length) throw new ApiError('BadRequest', `/v1/import takes apps/v1 Deployment, v1 Service and autoscaling HorizontalPodAutoscaler documents; send the others (${other.map(describe).join(', ')}) to their resource path or with edgeplane apply`)
    const { apps, warnings } = importManifests(docs, { namespace: text(q, 'namespace') })
    if (!apps.length) throw new ApiError('BadRequest', 'the manifest holds no apps/v1 Deployment to import')
    const w: WriteOptions = { dryRun: dryRunOf(q) }
    // The warnings go out with an error too: a manifest that fails is usually why.
    warn(reply, warnings)
    // Validate every App before writing any: a manifest is imported whole or not at all.
    const valid = apps.map((a) => validateResource(a))
    const items = []
    for (const obj of valid) items.push(await upsert(store, obj, w))
    return { kind: 'ImportResult', items: items.map(({ obj, action }) => ({ action, app: obj })), warnings: warnings.map(formatWarning) }
  })

  // One Deployment at a time, where kubectl sends it.
  const one = async (req: FastifyRequest, reply: FastifyReply, name?: string) => {
    const q = req.query as RawQuery
    const { namespace } = req.params as { namespace: string }
    const doc = parseBody(req) as Record<string, any>
    if (!isKubernetesKind(doc) || doc.kind !== 'Deployment') throw new ApiError('BadRequest', `this path takes an apps/v1 Deployment, not ${describe(doc)}`)
    if (doc.metadata?.namespace && doc.metadata.namespace !== namespace) throw new ApiError('BadRequest', `metadata.namespace "${doc.metadata.namespace}" does not match the URL's namespace "${namespace}"`)
    if (name !== undefined && doc.metadata?.name !== name) throw new ApiError('BadRequest', `metadata.name "${doc.metadata?.name}" does not match the URL's name "${name}"`)
    const { apps, warnings } = importManifests([doc], { namespace })
    warn(reply, warnings)
    const { obj, action } = await upsert(store, validateResource(apps[0]), { dryRun: dryRunOf(q) })
    reply.code(action === 'created' ? 201 : 200)
    return obj
  }
  app.post('/apis/apps/v1/namespaces/:namespace/deployments', (req, reply) => one(req, reply))
  app.patch('/apis/apps/v1/namespaces/:namespace/deployments/:name', async (req, reply) => {
    const ct = String(req.headers['content-type'] ?? '')
    if (!ct.startsWith('application/apply-patch')) throw new ApiError('UnsupportedMediaType', `a Deployment is imported whole: send it with server-side apply (application/apply-patch+yaml), kubectl create, or POST /v1/import, not "${ct}"`)
    return one(req, reply, (req.params as { name: string }).name)
  })
  app.get('/apis/apps/v1/namespaces/:namespace/deployments/:name', async (req) => {
    const { namespace, name } = req.params as { namespace: string; name: string }
    throw new ApiError('NotFound', `deployments are not stored: a Deployment is imported into the App "${name}" (kubectl get app ${name} -n ${namespace})`, { kind: 'Deployment', name })
  })
}

/** Creates the App, or updates the one an earlier import of the same Deployment made. */
async function upsert(store: Store, obj: Resource, w: WriteOptions): Promise<{ obj: Resource; action: 'created' | 'configured' | 'unchanged' }> {
  const current = await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name)
  if (!current) return { obj: await store.create(obj, w), action: 'created' }
  if (current.metadata.annotations?.[IMPORTED] !== obj.metadata.annotations?.[IMPORTED]) {
    throw new ApiError('AlreadyExists', `app "${obj.metadata.name}" already exists and was not imported from this Deployment; delete it or rename the Deployment`, { kind: 'App', name: obj.metadata.name })
  }
  const next = { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion } }
  const updated = await store.update(next, w)
  return { obj: updated, action: updated.metadata.generation === current.metadata.generation ? 'unchanged' : 'configured' }
}

function warn(reply: FastifyReply, warnings: ImportWarning[]): void {
  // RFC 7234 warn-code 299 with a quoted text, as kube-apiserver sends them; ASCII only.
  if (warnings.length) reply.header('warning', warnings.map((w) => `299 - "${formatWarning(w).replace(/[^\x20-\x7e]/g, '?').replace(/(["\\])/g, '\\$1')}"`))
}

function describe(d: unknown): string {
  const o = d as { apiVersion?: string; kind?: string; metadata?: { name?: string } }
  return `${o?.apiVersion ?? '?'} ${o?.kind ?? '?'} ${o?.metadata?.name ?? ''}`.trim()
}
