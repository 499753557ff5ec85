// The OpenAPI documents: /openapi/v3 and its group document and /openapi/v2 for kubectl, and
// /openapi.json (3.1, every route) for everyone else. Built once; all from the validating schemas.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { openApiDocument } from '../../api/openapi.js'
import { GROUP_DOC_PATH, documentV2, groupDocumentV3, rootDocumentV3, served } from '../../api/openapi/kube-documents.js'
import { APPS_DOC_PATH, appsDocumentV3 } from '../../api/openapi/apps-v1.js'

export function registerOpenApiRoutes(app: FastifyInstance, version: string): void {
  const group = served(groupDocumentV3(version))
  const apps = served(appsDocumentV3(version))
  const root = JSON.stringify(rootDocumentV3(group, { [APPS_DOC_PATH]: apps }))
  const v2 = JSON.stringify(documentV2(version))
  const full = JSON.stringify(openApiDocument(version))
  const send = (body: string) => async (_req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    reply.type('application/json').header('cache-control', 'no-cache, private')
    return body
  }
  app.get('/openapi/v3', send(root))
  app.get(`/openapi/v3/${GROUP_DOC_PATH}`, async (req, reply) => {
    // kubectl asks by hash; the document with that hash never changes, so it may be cached.
    const hash = (req.query as { hash?: string }).hash
    reply.type('application/json').header('etag', `"${group.hash}"`)
      .header('cache-control', hash === group.hash ? 'public, immutable' : 'no-cache, private')
    return group.body
  })
  app.get(`/openapi/v3/${APPS_DOC_PATH}`, async (_req, reply) => {
    reply.type('application/json').header('etag', `"${apps.hash}"`)
    return apps.body
  })
  app.get('/openapi/v2', async (req, reply) => {
    // kube-apiserver also answers protobuf; we have JSON only, and say so with a 406 to a client
    // that accepts nothing else (kubectl reads /openapi/v3 first and needs no v2 then).
    const accept = String(req.headers.accept ?? '*/*')
    if (!/application\/json|\*\/\*|application\/\*/.test(accept)) throw new ApiError('NotAcceptable', `/openapi/v2 is served as application/json only, not ${accept}`)
    return send(v2)(req, reply)
  })
  app.get('/openapi.json', send(full))
}
