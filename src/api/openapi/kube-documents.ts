// The OpenAPI documents kubectl downloads: /openapi/v3 (an index of group-version documents with a
// hash kubectl caches by), /openapi/v3/apis/edgeplane.io/v1 (OpenAPI 3.0, the dialect kube-openapi
// parses) and /openapi/v2 (Swagger 2.0 as JSON). All come from the schemas that validate.
import { createHash } from 'node:crypto'
import { GROUP, VERSION } from '../meta.js'
import { publicKinds, type KindInfo } from '../kinds/index.js'
import { toOpenApi30 } from './schema30.js'
import { commonSchemas, resourcePaths } from './resource-paths.js'

type Obj = Record<string, unknown>

export const GROUP_DOC_PATH = `apis/${GROUP}/${VERSION}`

/** A kind's validating schema with the extension kubectl looks kinds up by. */
export function kindSchema(k: KindInfo): Obj {
  return {
    ...(JSON.parse(JSON.stringify(k.schema)) as Obj),
    description: `${k.kind}: ${KIND_TEXT[k.kind] ?? 'an edgeplane resource'}`,
    'x-kubernetes-group-version-kind': [{ group: GROUP, version: VERSION, kind: k.kind }],
  }
}

const KIND_TEXT: Record<string, string> = {
  Site: 'a location (region, provider, tier, geo); its capacity is the sum of its ready nodes',
  Node: 'one machine running an agent: capacity, labels, heartbeat, conditions',
  App: 'what to run (template), how many and where (placement), how to change it (rollout), how users reach it (traffic), how it scales (autoscale)',
  Revision: 'an immutable snapshot of an app\'s template',
  Instance: 'one running replica on a node, as its agent reports it',
  Session: 'an on-demand instance leased to one end user',
  Event: 'what happened and why',
}

export function groupDocumentV3(version: string): Obj {
  const kinds = publicKinds()
  const ref = (n: string) => `#/components/schemas/${n}`
  const schemas: Obj = {}
  for (const k of kinds) schemas[k.kind] = toOpenApi30(kindSchema(k))
  Object.assign(schemas, commonSchemas(kinds, ref))
  return {
    openapi: '3.0.0',
    info: { title: 'edgeplane', version },
    paths: resourcePaths(kinds, { ref }),
    components: { schemas, securitySchemes: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token' } } },
    security: [{ BearerToken: [] }],
  }
}

export interface Served { body: string; hash: string }

export function served(doc: Obj): Served {
  const body = JSON.stringify(doc)
  return { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() }
}

export function rootDocumentV3(group: Served, others: Record<string, Served> = {}): Obj {
  const paths: Obj = { [GROUP_DOC_PATH]: { serverRelativeURL: `/openapi/v3/${GROUP_DOC_PATH}?hash=${group.hash}` } }
  for (const [p, d] of Object.entries(others)) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` }
  return { paths }
}

/** Swagger 2.0: the same paths and schemas, with bodies as parameters and refs under definitions. */
export function documentV2(version: string): Obj {
  const v3 = groupDocumentV3(version)
  const paths: Obj = {}
  for (const [p, item] of Object.entries(v3.paths as Record<string, Obj>)) {
    const out: Obj = {}
    for (const [method, op] of Object.entries(item)) out[method] = operationV2(op as Obj)
    paths[p] = out
  }
  // Swagger 2.0 says x-nullable where OpenAPI 3.0 says nullable.
  const definitions = JSON.parse(JSON.stringify((v3.components as Obj).schemas).replaceAll('#/components/schemas/', '#/definitions/'), (k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && 'nullable' in v) { const { nullable, ...rest } = v as Obj; return { ...rest, 'x-nullable': nullable } }
    return v
  }) as Obj
  return {
    swagger: '2.0',
    info: { title: 'edgeplane', version },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  }
}

function operationV2(op: Obj): Obj {
  const { requestBody, responses, parameters, ...rest } = op as { requestBody?: Obj; responses: Record<string, Obj>; parameters?: Obj[] }
  const fix = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll('#/components/schemas/', '#/definitions/'))
  const params: Obj[] = (parameters ?? []).map((p) => {
    const { schema, ...pr } = p as { schema: Obj }
    return { ...pr, type: schema.type }
  })
  const consumes = requestBody ? Object.keys(requestBody.content as Obj) : undefined
  if (requestBody) {
    const first = Object.values(requestBody.content as Record<string, Obj>).at(-1)!
    params.push({ name: 'body', in: 'body', required: true, schema: fix(first.schema) })
  }
  const res: Obj = {}
  for (const [code, r] of Object.entries(responses)) {
    const c = r.content as Record<string, Obj> | undefined
    res[code] = { description: r.description, ...(c ? { schema: fix(Object.values(c)[0].schema) } : {}) }
  }
  return { ...rest, ...(consumes ? { consumes } : {}), produces: ['application/json'], parameters: params, responses: res }
}
