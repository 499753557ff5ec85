// Role checks on the HTTP API: each request's attributes against its token's role, refused with a
// 403 Status that names the missing permission. Sessions are checked once the app they concern is
// known (from the body, the query, or the session itself).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import type { Principal } from './token-service.js'
import { allows, describe, type Attributes, type Grant } from './roles.js'
import { attributesOf } from './request-attributes.js'
import { parseBody } from '../http/body.js'

type ApiPrincipal = Extract<Principal, { kind: 'admin' }>

export function forbidden(p: ApiPrincipal, a: Attributes): ApiError {
  const scope = `${p.grant.namespace ? ` in namespace "${p.grant.namespace}"` : ''}${p.grant.apps ? ` for apps ${p.grant.apps.join(', ')}` : ''}`
  return new ApiError('Forbidden', `token ${p.id} (role ${p.grant.role}${scope}) may not ${describe(a)}: it needs the permission "${describe(a)}"`)
}

/** Checks a request by its route (sessions wait for their app: see registerSessionAuthorization). */
export function authorizeRequest(req: FastifyRequest, p: ApiPrincipal): void {
  if (p.grant.role === 'admin') return
  const path = req.url.split('?')[0]
  const a = attributesOf(req.method, req.routeOptions.url ?? path, path, (req.query ?? {}) as Record<string, unknown>)
  if (a.resource === 'sessions' && (p.grant.role === 'session-client' || p.grant.role === 'deployer')) return
  if (!allows(p.grant, a)) throw forbidden(p, a)
}

/** Session routes, for roles limited to some apps: the app comes from the body, query or session. */
export function registerSessionAuthorization(app: FastifyInstance, appOfSession: (id: string) => string): void {
  app.addHook('preHandler', async (req) => {
    const p = req.principal
    if (p?.kind !== 'admin' || (p.grant.role !== 'session-client' && p.grant.role !== 'deployer')) return
    const route = req.routeOptions.url ?? ''
    if (!route.startsWith('/v1/sessions')) return
    const a = attributesOf(req.method, route, req.url.split('?')[0], {})
    a.app = appOf(req, route, appOfSession)
    if (!allows(p.grant, a)) throw forbidden(p, a)
  })
}

function appOf(req: FastifyRequest, route: string, appOfSession: (id: string) => string): string | undefined {
  const id = (req.params as { id?: string }).id
  if (id !== undefined) return appOfSession(id)
  let src: { app?: unknown; namespace?: unknown } | undefined
  try { src = (req.method === 'POST' ? parseBody(req) : req.query) as typeof src } catch { return undefined }
  if (typeof src?.app !== 'string') return undefined
  return `${typeof src.namespace === 'string' && src.namespace ? src.namespace : 'default'}/${src.app}`
}

export type { Grant }
