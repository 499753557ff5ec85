// Request bodies: JSON, or YAML for manifests and apply patches. One document per request.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseManifests } from '../../api/manifest.js'

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/apply-patch+yaml']

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['application/json', 'application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', ...YAML_TYPES], { parseAs: 'string' }, (_req, body, done) => done(null, body))
  // Kubernetes protobuf, kept as bytes: only SelfSubjectAccessReview reads it (kubectl auth can-i).
  app.addContentTypeParser('application/vnd.kubernetes.protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
}

/** Parses the raw body (kept as text by the content-type parsers) into exactly one document. */
export function parseBody(req: FastifyRequest): unknown {
  const text = typeof req.body === 'string' ? req.body : ''
  if (!text.trim()) throw new ApiError('BadRequest', 'the request body is empty')
  const docs = parseManifests(text, 'request body')
  if (docs.length !== 1) throw new ApiError('BadRequest', `the request body must hold exactly one document, found ${docs.length}`)
  return docs[0]
}

/** A JSON body taken as it is (a JSON patch is an array, which parseBody reads as several documents). */
export function parseJsonBody(req: FastifyRequest): unknown {
  const text = typeof req.body === 'string' ? req.body : ''
  if (!text.trim()) throw new ApiError('BadRequest', 'the request body is empty')
  try { return JSON.parse(text) } catch (e) { throw new ApiError('BadRequest', `request body: not valid JSON: ${(e as Error).message}`) }
}
