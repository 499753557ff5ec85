// The OpenAPI document, generated from the same schemas that validate requests.
import { API_VERSION, GROUP, VERSION } from './meta.js'
import { publicKinds } from './kinds/index.js'

export function openApiDocument(version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Status: {
      type: 'object',
      properties: {
        kind: { const: 'Status' }, apiVersion: { const: 'v1' }, status: { const: 'Failure' },
        message: { type: 'string' }, reason: { type: 'string' }, code: { type: 'integer' },
        details: { type: 'object', properties: { causes: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } } } } },
      },
    },
  }
  const paths: Record<string, unknown> = {}
  const errors = { default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } } }
  for (const k of publicKinds()) {
    schemas[k.kind] = JSON.parse(JSON.stringify(k.schema))
    schemas[`${k.kind}List`] = {
      type: 'object',
      properties: {
        kind: { const: `${k.kind}List` }, apiVersion: { const: API_VERSION },
        metadata: { type: 'object', properties: { resourceVersion: { type: 'string' } } },
        items: { type: 'array', items: { $ref: `#/components/schemas/${k.kind}` } },
      },
    }
    const ref = { content: { 'application/json': { schema: { $ref: `#/components/schemas/${k.kind}` } } } }
    const listRef = { content: { 'application/json': { schema: { $ref: `#/components/schemas/${k.kind}List` } } } }
    const base = k.namespaced ? `/apis/${GROUP}/${VERSION}/namespaces/{namespace}/${k.plural}` : `/apis/${GROUP}/${VERSION}/${k.plural}`
    const params = k.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }] : []
    const nameParam = [...params, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }]
    const listParams = [
      ...params,
      { name: 'labelSelector', in: 'query', schema: { type: 'string' } },
      { name: 'fieldSelector', in: 'query', schema: { type: 'string' } },
      { name: 'watch', in: 'query', schema: { type: 'boolean' } },
      { name: 'resourceVersion', in: 'query', schema: { type: 'string' } },
    ]
    paths[base] = {
      get: { operationId: `list${k.kind}`, tags: [k.kind], parameters: listParams, responses: { 200: { description: `${k.kind}List, or with watch=true a stream of {type, object} lines`, ...listRef }, ...errors } },
      post: { operationId: `create${k.kind}`, tags: [k.kind], parameters: params, requestBody: ref, responses: { 201: { description: 'created', ...ref }, ...errors } },
    }
    paths[`${base}/{name}`] = {
      get: { operationId: `read${k.kind}`, tags: [k.kind], parameters: nameParam, responses: { 200: { description: k.kind, ...ref }, ...errors } },
      put: { operationId: `replace${k.kind}`, tags: [k.kind], parameters: nameParam, requestBody: ref, responses: { 200: { description: 'replaced (compare-and-swap on metadata.resourceVersion)', ...ref }, ...errors } },
      patch: {
        operationId: `apply${k.kind}`, tags: [k.kind], parameters: nameParam,
        requestBody: { content: { 'application/apply-patch+yaml': { schema: { $ref: `#/components/schemas/${k.kind}` } }, 'application/merge-patch+json': { schema: { type: 'object' } } } },
        responses: { 200: { description: 'updated', ...ref }, 201: { description: 'created', ...ref }, ...errors },
      },
      delete: { operationId: `delete${k.kind}`, tags: [k.kind], parameters: nameParam, responses: { 200: { description: 'deleted', ...ref }, ...errors } },
    }
    if (k.hasStatus) {
      paths[`${base}/{name}/status`] = {
        get: { operationId: `read${k.kind}Status`, tags: [k.kind], parameters: nameParam, responses: { 200: { description: k.kind, ...ref }, ...errors } },
        put: { operationId: `replace${k.kind}Status`, tags: [k.kind], parameters: nameParam, requestBody: ref, responses: { 200: { description: 'status replaced', ...ref }, ...errors } },
      }
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'edgeplane', version },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  }
}
