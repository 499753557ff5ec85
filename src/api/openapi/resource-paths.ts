// The resource API's paths in OpenAPI 3 form, with the Kubernetes vendor extensions kubectl reads:
// x-kubernetes-group-version-kind on every operation (how kubectl finds the PATCH of a kind and the
// query parameters it takes: fieldValidation decides whether kubectl validates on its own side),
// x-kubernetes-action, and the query parameters each verb honours.
import { GROUP, VERSION } from '../meta.js'
import type { KindInfo } from '../kinds/index.js'

type Obj = Record<string, unknown>

const q = (name: string, type: string, description: string): Obj => ({ name, in: 'query', description, schema: { type } })
const P = {
  labelSelector: q('labelSelector', 'string', 'only objects whose labels match (a=b, a!=b, a in (x,y), !a)'),
  fieldSelector: q('fieldSelector', 'string', 'only objects whose fields match (metadata.name=x, spec.app=y)'),
  watch: q('watch', 'boolean', 'stream {type, object} lines instead of a list'),
  resourceVersion: q('resourceVersion', 'string', 'watch: the revision to start after'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'accepted; lists are always served at the newest revision'),
  limit: q('limit', 'integer', 'list: at most this many items; metadata.continue fetches the next page of the same snapshot'),
  continue: q('continue', 'string', 'list: the token of the previous page (410 Expired once its revision is compacted)'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'watch: end the stream after this many seconds'),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'watch: send BOOKMARK events with the revision seen so far'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'watch: start with the current objects, then a bookmark annotated k8s.io/initial-events-end'),
  dryRun: q('dryRun', 'string', 'All: run every check and return the result, but write nothing'),
  fieldValidation: q('fieldValidation', 'string', 'Strict, Warn or Ignore; unknown fields are always refused (Strict)'),
  fieldManager: q('fieldManager', 'string', 'the manager that owns the fields this request sets (server-side apply)'),
  force: q('force', 'boolean', 'server-side apply: take fields other managers own instead of a 409 Conflict'),
  follow: q('follow', 'boolean', 'logs: keep streaming'),
  tailLines: q('tailLines', 'integer', 'logs: start this many lines from the end'),
}

export interface PathOptions {
  /** `#/components/schemas/` in OpenAPI 3. */
  ref: (name: string) => string
}

function content(schemaRef: string, types = ['application/json', 'application/yaml']): Obj {
  return Object.fromEntries(types.map((t) => [t, { schema: { $ref: schemaRef } }]))
}

export function resourcePaths(kinds: KindInfo[], o: PathOptions): Record<string, Obj> {
  const paths: Record<string, Obj> = {}
  const errors = { default: { description: 'a Kubernetes Status naming the problem', content: content(o.ref('Status'), ['application/json']) } }
  for (const k of kinds) {
    const gvk = { 'x-kubernetes-group-version-kind': { group: GROUP, version: VERSION, kind: k.kind } }
    const one = { description: k.kind, content: content(o.ref(k.kind), ['application/json']) }
    const base = k.namespaced ? `/apis/${GROUP}/${VERSION}/namespaces/{namespace}/${k.plural}` : `/apis/${GROUP}/${VERSION}/${k.plural}`
    const ns = k.namespaced ? [{ name: 'namespace', in: 'path', required: true, description: 'the namespace', schema: { type: 'string' } }] : []
    const named = [...ns, { name: 'name', in: 'path', required: true, description: `the ${k.singular}'s name`, schema: { type: 'string' } }]
    const writes = [P.dryRun, P.fieldValidation, P.fieldManager]
    const op = (verb: string, action: string, extra: Obj): Obj => ({ operationId: `${verb}${k.kind}`, tags: [k.kind], ...extra, ...gvk, 'x-kubernetes-action': action })
    const patchBody = (schema: string) => ({
      required: true,
      content: {
        'application/json-patch+json': { schema: { type: 'array', items: { type: 'object' } } },
        'application/merge-patch+json': { schema: { type: 'object' } },
        'application/strategic-merge-patch+json': { schema: { type: 'object' } },
        'application/apply-patch+yaml': { schema: { $ref: o.ref(schema) } },
      },
    })
    const list = op('list', 'list', {
      summary: `list or watch ${k.plural}`,
      parameters: [...ns, P.labelSelector, P.fieldSelector, P.watch, P.resourceVersion, P.resourceVersionMatch, P.limit, P.continue, P.timeoutSeconds, P.allowWatchBookmarks, P.sendInitialEvents],
      responses: { 200: { description: `${k.kind}List, or with watch=true a stream of {type, object} lines`, content: content(o.ref(`${k.kind}List`), ['application/json']) }, ...errors },
    })
    paths[base] = k.readOnly ? { get: list } : {
      get: list,
      post: op('create', 'post', { summary: `create a ${k.singular}`, parameters: [...ns, ...writes], requestBody: { required: true, content: content(o.ref(k.kind)) }, responses: { 201: { ...one, description: 'created' }, ...errors } }),
    }
    const item: Obj = {
      get: op('read', 'get', { summary: `read a ${k.singular}`, parameters: named, responses: { 200: one, ...errors } }),
      delete: op('delete', 'delete', { summary: `delete a ${k.singular}`, parameters: [...named, P.dryRun], responses: { 200: { ...one, description: 'deleted (as it was)' }, ...errors } }),
    }
    if (!k.readOnly) {
      item.put = op('replace', 'put', { summary: `replace a ${k.singular} (compare-and-swap on metadata.resourceVersion)`, parameters: [...named, ...writes], requestBody: { required: true, content: content(o.ref(k.kind)) }, responses: { 200: one, ...errors } })
      item.patch = op('patch', 'patch', { summary: `patch a ${k.singular} (JSON patch, merge patch, or server-side apply)`, parameters: [...named, ...writes, P.force], requestBody: patchBody(k.kind), responses: { 200: one, 201: { ...one, description: 'created (apply)' }, ...errors } })
    }
    paths[`${base}/{name}`] = item
    if (k.hasStatus && !k.readOnly) {
      paths[`${base}/{name}/status`] = {
        get: op('read', 'get', { operationId: `read${k.kind}Status`, summary: `read a ${k.singular}'s status`, parameters: named, responses: { 200: one, ...errors } }),
        put: op('replace', 'put', { operationId: `replace${k.kind}Status`, summary: `replace a ${k.singular}'s status`, parameters: [...named, ...writes], requestBody: { required: true, content: content(o.ref(k.kind)) }, responses: { 200: one, ...errors } }),
      }
    }
    if (k.kind === 'App') {
      const scaleGvk = { 'x-kubernetes-group-version-kind': { group: 'autoscaling', version: 'v1', kind: 'Scale' } }
      const scale = { description: 'Scale', content: content(o.ref('Scale'), ['application/json']) }
      paths[`${base}/{name}/scale`] = {
        get: { operationId: 'readAppScale', tags: ['App'], summary: 'read an app\'s replicas as an autoscaling/v1 Scale', parameters: named, responses: { 200: scale, ...errors }, ...scaleGvk, 'x-kubernetes-action': 'get' },
        put: { operationId: 'replaceAppScale', tags: ['App'], summary: 'set an app\'s replicas', parameters: [...named, ...writes], requestBody: { required: true, content: content(o.ref('Scale')) }, responses: { 200: scale, ...errors }, ...scaleGvk, 'x-kubernetes-action': 'put' },
        patch: { operationId: 'patchAppScale', tags: ['App'], summary: 'set an app\'s replicas', parameters: [...named, ...writes], requestBody: patchBody('Scale'), responses: { 200: scale, ...errors }, ...scaleGvk, 'x-kubernetes-action': 'patch' },
      }
    }
    if (k.kind === 'Instance') {
      paths[`${base}/{name}/log`] = {
        get: { operationId: 'readInstanceLog', tags: ['Instance'], summary: 'an instance\'s log, from its agent', parameters: [...named, P.follow, P.tailLines], responses: { 200: { description: 'log lines', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors } },
      }
    }
  }
  return paths
}

/** Schemas the resource paths refer to besides the kinds': Status, the lists, Scale. */
export function commonSchemas(kinds: KindInfo[], itemsRef: (kind: string) => string): Record<string, unknown> {
  const s: Record<string, unknown> = {
    Status: {
      type: 'object',
      description: 'the outcome of a request that failed: reason, HTTP code, and the fields at fault in details.causes',
      properties: {
        kind: { type: 'string', enum: ['Status'] }, apiVersion: { type: 'string', enum: ['v1'] }, status: { type: 'string', enum: ['Failure'] },
        message: { type: 'string' }, reason: { type: 'string' }, code: { type: 'integer' },
        details: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' }, causes: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } } } } },
      },
    },
    Scale: {
      type: 'object',
      description: 'an app\'s replicas in the shape of autoscaling/v1 Scale (kubectl scale)',
      'x-kubernetes-group-version-kind': [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }],
      properties: {
        apiVersion: { type: 'string' }, kind: { type: 'string' },
        metadata: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, resourceVersion: { type: 'string' }, uid: { type: 'string' } } },
        spec: { type: 'object', properties: { replicas: { type: 'integer', minimum: 0 } } },
        status: { type: 'object', properties: { replicas: { type: 'integer' }, selector: { type: 'string' } } },
      },
    },
  }
  for (const k of kinds) {
    s[`${k.kind}List`] = {
      type: 'object',
      description: `a list of ${k.plural}`,
      'x-kubernetes-group-version-kind': [{ group: GROUP, version: VERSION, kind: `${k.kind}List` }],
      properties: {
        kind: { type: 'string', enum: [`${k.kind}List`] }, apiVersion: { type: 'string', enum: [`${GROUP}/${VERSION}`] },
        metadata: { type: 'object', properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' }, remainingItemCount: { type: 'integer' } } },
        items: { type: 'array', items: { $ref: itemsRef(k.kind) } },
      },
    }
  }
  return s
}
