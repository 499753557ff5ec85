// Token administration and the join exchange (join token → node credential).
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { NAME_PATTERN } from '../../api/kinds/common.js'
import type { TokenService } from '../auth/token-service.js'
import { parseBody } from './body.js'

interface JoinBody { node?: unknown; site?: unknown; reprovision?: unknown; gateway?: unknown }
interface TokenBody { type?: unknown; ttlSeconds?: unknown; maxUses?: unknown; description?: unknown; gateway?: unknown }

/** The header a re-joining agent proves it is the node with (its current credential). */
export const NODE_PROOF_HEADER = 'x-edgeplane-node-credential'

const NAME = new RegExp(NAME_PATTERN)

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
      if (p.kind !== 'admin') throw new ApiError('Forbidden', 're-provisioning a node takes an admin token')
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
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < (f === 'maxUses' ? 1 : 0))) {
        throw new ApiError('Invalid', `${f}: must be an integer ≥ ${f === 'maxUses' ? 1 : 0}`, { causes: [{ field: f, message: 'invalid' }] })
      }
    }
    if (body.gateway !== undefined && (typeof body.gateway !== 'boolean' || body.type === 'admin')) throw new ApiError('Invalid', 'gateway: true or false, for join tokens only (nodes that join with it may run a site gateway)', { causes: [{ field: 'gateway', message: 'must be a boolean on a join token' }] })
    const description = typeof body.description === 'string' ? body.description.slice(0, 256) : undefined
    reply.code(201)
    if (body.type === 'admin') return { type: 'admin', token: await tokens.createAdminToken(description) }
    const t = await tokens.createJoinToken({ ttlSeconds: body.ttlSeconds as number | undefined, maxUses: body.maxUses as number | undefined, description, gateway: body.gateway === true })
    return { type: 'join', ...t }
  })

  app.get('/v1/tokens', async () => ({
    items: (await tokens.listTokens()).map((t) => ({
      id: t.metadata.name, type: t.spec.type, node: t.spec.node, site: t.spec.site, expiresAt: t.spec.expiresAt,
      maxUses: t.spec.maxUses, uses: t.status?.uses ?? 0, ...(t.spec.gateway ? { gateway: true } : {}), description: t.spec.description, created: t.metadata.creationTimestamp,
    })),
  }))

  app.delete('/v1/tokens/:id', async (req) => {
    await tokens.revoke((req.params as { id: string }).id)
    return { deleted: (req.params as { id: string }).id }
  })
}
