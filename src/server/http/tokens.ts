// Token administration and the join exchange (join token → node credential).
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { NAME_PATTERN } from '../../api/kinds/common.js'
import type { TokenService } from '../auth/token-service.js'
import { parseBody } from './body.js'
import { isRole, NEEDS_APPS, NEEDS_NAMESPACE, ROLES, type Grant } from '../auth/roles.js'

interface JoinBody { node?: unknown; site?: unknown; reprovision?: unknown; gateway?: unknown }
interface TokenBody { type?: unknown; ttlSeconds?: unknown; maxUses?: unknown; description?: unknown; gateway?: unknown; role?: unknown; namespace?: unknown; apps?: unknown }

/** The header a re-joining agent proves it is the node with (its current credential). */
export const NODE_PROOF_HEADER = 'x-edgeplane-node-credential'

const NAME = new RegExp(NAME_PATTERN)
/** Ten years: a lifetime longer than that is a mistake (and 1e20 seconds is no date at all). */
export const MAX_TTL_SECONDS = 10 * 365 * 86400

export function registerTokenRoutes(app: FastifyInstance, tokens: TokenService): void {
  app.post('/v1/join', async (req) => {
    const auth = req.headers.authorization?.replace(/^Bearer\s+/i, '')
    const body = parseBody(req) as JoinBody
    const node = body?.node, site = body?.site
    if (typeof node !== 'string' || !NAME.test(node) || node.length > 253) throw new ApiError('Invalid', 'node: a node name is required (lower-case letters, digits, "-" and ".")', { causes: [{ field: 'node', message: 'invalid node name' }] })
    if (typeof site !== 'string' || !NAME.test(site) || site.length > 253) throw new ApiError('Invalid', 'site: a site name is required (lower-case letters, digits, "-" and ".")', { causes: [{ field: 'site', message: 'invalid site name' }] })
    if (auth?.startsWith('epa.') || body.reprovision !== undefined) {
      // Re-provisioning: only an admin, only when asked for explicitly.
      const p = await tokens.authenticate(auth)
      if (p.kind !== 'admin' || p.grant.role !== 'admin') throw new ApiError('Forbidden', 're-provisioning a node takes a token with the admin role')
      if (body.reprovision !== true) throw new ApiError('Forbidden', 'an admin token joins a node only to re-provision it, which replaces its credentials: send "reprovision": true to do that')
      if (body.gateway !== undefined && typeof body.gateway !== 'boolean') throw new ApiError('Invalid', 'gateway: must be true or false', { causes: [{ field: 'gateway', message: 'must be a boolean' }] })
      return { node, site, ...(await tokens.reprovision(node, site, body.gateway === true)) }
    }
    const proof = req.headers[NODE_PROOF_HEADER]
    const issued = await tokens.join(auth ?? '', node, site, { credential: typeof proof === 'string' ? proof : undefined })
    return { node, site, ...issued }
  })

  app.post('/v1/credentials/rotate', async (req) => {
    const p = req.principal
    if (p?.kind !== 'node') throw new ApiError('Forbidden', 'only a node credential can be rotated here')
    return tokens.rotate(p)
  })

  app.post('/v1/tokens', async (req, reply) => {
    const body = (req.body ? parseBody(req) : {}) as TokenBody
    if (body.type !== undefined && body.type !== 'join' && body.type !== 'admin') throw new ApiError('Invalid', 'type: must be "join" or "admin"', { causes: [{ field: 'type', message: 'must be join or admin' }] })
    for (const f of ['ttlSeconds', 'maxUses'] as const) {
      const v = body[f]
      const max = f === 'ttlSeconds' ? MAX_TTL_SECONDS : 1_000_000
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < (f === 'maxUses' ? 1 : 0) || v > max)) {
        throw new ApiError('Invalid', `${f}: must be an integer from ${f === 'maxUses' ? 1 : 0} to ${max}`, { causes: [{ field: f, message: 'invalid' }] })
      }
    }
    if (body.gateway !== undefined && (typeof body.gateway !== 'boolean' || body.type === 'admin')) throw new ApiError('Invalid', 'gateway: true or false, for join tokens only (nodes that join with it may run a site gateway)', { causes: [{ field: 'gateway', message: 'must be a boolean on a join token' }] })
    const description = typeof body.description === 'string' ? body.description.slice(0, 256) : undefined
    reply.code(201)
    if (body.type === 'admin') return { type: 'admin', ...(await tokens.createAdminToken(description, body.ttlSeconds as number | undefined, grantOf(body))) }
    if (body.role !== undefined || body.namespace !== undefined || body.apps !== undefined) throw new ApiError('Invalid', 'role, namespace and apps are for API tokens ("type": "admin"), not join tokens', { causes: [{ field: 'role', message: 'not for join tokens' }] })
    const t = await tokens.createJoinToken({ ttlSeconds: body.ttlSeconds as number | undefined, maxUses: body.maxUses as number | undefined, description, gateway: body.gateway === true })
    return { type: 'join', ...t }
  })

  app.get('/v1/tokens', async () => ({
    items: (await tokens.listTokens()).map((t) => ({
      id: t.metadata.name, type: t.spec.type, node: t.spec.node, site: t.spec.site, expiresAt: t.spec.expiresAt,
      maxUses: t.spec.maxUses, uses: t.status?.uses ?? 0, ...(t.spec.gateway ? { gateway: true } : {}), ...(t.spec.type === 'admin' ? { role: t.spec.role ?? 'admin', namespace: t.spec.namespace, apps: t.spec.apps } : {}), description: t.spec.description, created: t.metadata.creationTimestamp,
    })),
  }))

  app.delete('/v1/tokens/:id', async (req) => {
    await tokens.revoke((req.params as { id: string }).id)
    return { deleted: (req.params as { id: string }).id }
  })
}

const NS = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** The role of a new API token, checked: a namespace where the role needs one, apps for session clients. */
function grantOf(body: TokenBody): Grant {
  const role = body.role ?? 'admin'
  if (!isRole(role)) throw new ApiError('Invalid', `role: must be one of ${ROLES.join(', ')}`, { causes: [{ field: 'role', reason: 'FieldValueNotSupported', message: `must be one of ${ROLES.join(', ')}` }] })
  if (body.namespace !== undefined && (typeof body.namespace !== 'string' || !NS.test(body.namespace))) throw new ApiError('Invalid', 'namespace: a namespace name (lower-case letters, digits, "-")', { causes: [{ field: 'namespace', message: 'invalid namespace' }] })
  if (NEEDS_NAMESPACE.has(role) !== (body.namespace !== undefined)) throw new ApiError('Invalid', `namespace: ${NEEDS_NAMESPACE.has(role) ? `role ${role} needs a namespace` : `role ${role} is not limited to a namespace`}`, { causes: [{ field: 'namespace', message: 'required for deployer only' }] })
  const apps = body.apps
  if (apps !== undefined && (!Array.isArray(apps) || apps.length === 0 || apps.length > 100 || apps.some((a) => typeof a !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(a)))) {
    throw new ApiError('Invalid', 'apps: a list of 1–100 apps as "namespace/name"', { causes: [{ field: 'apps', message: 'invalid' }] })
  }
  if (NEEDS_APPS.has(role) !== (apps !== undefined)) throw new ApiError('Invalid', `apps: ${NEEDS_APPS.has(role) ? `role ${role} needs the apps it may use ("namespace/name")` : `only role session-client takes apps`}`, { causes: [{ field: 'apps', message: 'required for session-client only' }] })
  return { role, ...(typeof body.namespace === 'string' ? { namespace: body.namespace } : {}), ...(apps ? { apps: apps as string[] } : {}) }
}
