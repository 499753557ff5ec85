// The session API: allocate an instance slot near a user, read, renew and release it.
import type { FastifyInstance } from 'fastify'
import { Compile } from 'typebox/compile'
import { Type, Strict, StringMap, GeoSchema } from '../../api/kinds/common.js'
import { ApiError } from '../../api/errors.js'
import { invalid, schemaCauses } from '../../api/validate.js'
import type { SessionService, CreateSessionRequest } from '../../sessions/service.js'
import { parseBody } from './body.js'

const CreateSchema = Type.Object({
  app: Type.String({ minLength: 1, maxLength: 253 }),
  namespace: Type.Optional(Type.String({ maxLength: 63 })),
  clientIp: Type.Optional(Type.String({ anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] })),
  location: Type.Optional(GeoSchema),
  idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  deadlineMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
  maxDistanceKm: Type.Optional(Type.Number({ minimum: 1, maximum: 20040 })),
  metadata: Type.Optional(StringMap),
}, Strict)
const RenewSchema = Type.Object({ ttlSeconds: Type.Optional(Type.Integer({ minimum: 1 })) }, Strict)

const createValidator = Compile(CreateSchema)
const renewValidator = Compile(RenewSchema)

function check<T>(v: typeof createValidator | typeof renewValidator, body: unknown, what: string): T {
  if (!v.Check(body)) throw invalid('Session', what, schemaCauses(v, body))
  return body as T
}

export function registerSessionRoutes(app: FastifyInstance, sessions: SessionService): void {
  app.post('/v1/sessions', async (req, reply) => {
    const body = check<CreateSessionRequest>(createValidator, parseBody(req), 'request')
    const meta = body.metadata ?? {}
    if (Object.keys(meta).length > 32 || Object.entries(meta).some(([k, v]) => k.length > 63 || v.length > 256)) {
      throw new ApiError('Invalid', 'metadata: at most 32 entries, keys up to 63 and values up to 256 characters', { causes: [{ field: 'metadata', message: 'too large' }] })
    }
    const view = await sessions.create(body, req.ip)
    reply.code(201)
    return view
  })
  app.get('/v1/sessions', async (req) => {
    const q = req.query as { app?: string; namespace?: string }
    return { items: sessions.list({ app: q.app, namespace: q.namespace }) }
  })
  app.get('/v1/sessions/:id', async (req) => sessions.view((req.params as { id: string }).id))
  app.post('/v1/sessions/:id/renew', async (req) => {
    const body = req.body ? check<{ ttlSeconds?: number }>(renewValidator, parseBody(req), 'renewal') : {}
    return sessions.renew((req.params as { id: string }).id, body.ttlSeconds)
  })
  app.delete('/v1/sessions/:id', async (req) => sessions.release((req.params as { id: string }).id))
}
