// SelfSubjectAccessReview (authorization.k8s.io/v1): "may I do this?", answered by the same role
// check every request meets, so `kubectl auth can-i` works against the server. Its group is served
// in discovery (kubectl looks it up before it posts).
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { allows, describe, type Attributes } from './roles.js'
import { SSAR_PATH } from './request-attributes.js'
import { parseBody } from '../http/body.js'
import { decodeReviewProtobuf } from './ssar-protobuf.js'
import { publicKinds } from '../../api/kinds/index.js'

export const AUTHZ_GROUP = 'authorization.k8s.io'
const GV = { groupVersion: `${AUTHZ_GROUP}/v1`, version: 'v1' }
/** The discovery entry of the group, for /apis. */
export const AUTHZ_GROUP_ENTRY = { name: AUTHZ_GROUP, versions: [GV], preferredVersion: GV }

interface ReviewSpec {
  resourceAttributes?: { namespace?: unknown; verb?: unknown; group?: unknown; resource?: unknown; subresource?: unknown; name?: unknown }
  nonResourceAttributes?: { path?: unknown; verb?: unknown }
}

export function registerAccessReview(app: FastifyInstance): void {
  app.get(`/apis/${AUTHZ_GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...AUTHZ_GROUP_ENTRY }))
  app.get(`/apis/${AUTHZ_GROUP}/v1`, async () => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: GV.groupVersion,
    resources: [{ name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] }],
  }))
  app.post(SSAR_PATH, async (req, reply) => {
    const body = (Buffer.isBuffer(req.body) ? decodeReviewProtobuf(req.body) : parseBody(req)) as { kind?: unknown; spec?: ReviewSpec } | undefined
    const spec = body?.spec
    if (!spec || typeof spec !== 'object' || (!spec.resourceAttributes && !spec.nonResourceAttributes)) {
      throw new ApiError('Invalid', 'spec: a SelfSubjectAccessReview needs spec.resourceAttributes or spec.nonResourceAttributes', { causes: [{ field: 'spec', message: 'required' }] })
    }
    const a = attributesOfReview(spec)
    const p = req.principal
    const allowed = p?.kind === 'admin' && allows(p.grant, a)
    reply.code(201)
    return {
      apiVersion: `${AUTHZ_GROUP}/v1`, kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec,
      status: { allowed, ...(allowed ? {} : { reason: p?.kind === 'admin' ? `role ${p.grant.role} does not allow ${describe(a)}` : 'not an API token' }) },
    }
  })
}

function str(v: unknown): string | undefined { return typeof v === 'string' && v !== '' ? v : undefined }

function attributesOfReview(spec: ReviewSpec): Attributes {
  if (spec.resourceAttributes) {
    const r = spec.resourceAttributes
    const group = str(r.group)
    const resource = str(r.resource) ?? ''
    const sub = str(r.subresource)
    // Only our group holds resources; anything else is a resource nobody here may touch.
    const name = group === undefined || group === 'edgeplane.io' ? resource : `${resource}.${group}`
    // kubectl sends its context's namespace even for cluster-scoped kinds: it means nothing there.
    const clusterScoped = publicKinds().some((k) => k.plural === name && !k.namespaced)
    return { verb: str(r.verb) ?? 'get', resource: sub ? `${name}/${sub}` : name, namespace: clusterScoped ? undefined : str(r.namespace) }
  }
  const n = spec.nonResourceAttributes!
  return { verb: str(n.verb) ?? 'get', path: str(n.path) ?? '/' }
}
