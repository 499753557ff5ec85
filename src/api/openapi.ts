// /openapi.json: OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, the dialect the validating
// schemas are written in, so they go in unchanged) covering every route the server answers: the
// resource API, discovery, the OpenAPI documents kubectl reads, and the /v1 actions.
import { API_VERSION, GROUP, VERSION } from './meta.js'
import { publicKinds } from './kinds/index.js'
import { kindSchema } from './openapi/kube-documents.js'
import { commonSchemas, resourcePaths } from './openapi/resource-paths.js'
import { v1Paths } from './openapi/v1-paths.js'

export function openApiDocument(version: string): Record<string, unknown> {
  const kinds = publicKinds()
  const ref = (n: string) => `#/components/schemas/${n}`
  const schemas: Record<string, unknown> = {}
  for (const k of kinds) schemas[k.kind] = kindSchema(k)
  Object.assign(schemas, commonSchemas(kinds, ref))
  return {
    openapi: '3.1.0',
    info: { title: 'edgeplane', version, description: `The edgeplane API: resources under /apis/${API_VERSION} in Kubernetes' shape, actions under /v1.` },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: { ...resourcePaths(kinds, { ref }), ...v1Paths(GROUP, VERSION) },
  }
}
