// The server's HTTP surface: authentication on every route but the health probe, errors as
// Kubernetes Status objects from the one error registry, and the routes of each area.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import websocket from '@fastify/websocket'
import { ApiError, toStatus } from '../../api/errors.js'
import { LINK_DEFLATE, LINK_PATH, MAX_LINK_MESSAGE_BYTES } from '../../api/link.js'
import type { Logger } from '../../lib/log.js'
import type { Store } from '../../store/types.js'
import type { Principal, TokenService } from '../auth/token-service.js'
import type { LinkHub } from '../link/hub.js'
import type { ServerMetrics } from '../metrics.js'
import { registerBodyParsers } from './body.js'
import { registerDiscoveryRoutes } from './discovery.js'
import { registerResourceRoutes } from './resources.js'
import { liveStatus, registerLiveStatus } from './live-status.js'
import { registerTokenRoutes } from './tokens.js'
import { registerRouteRoutes } from './route.js'
import type { RoutingTable } from '../../routing/table.js'
import { registerSessionRoutes } from './sessions.js'
import { versionInfo } from './version.js'
import { registerImportRoutes } from './import.js'
import { admittingStore } from '../registry/allow-list.js'
import { registerCoreEventRoutes } from './core-events.js'
import { authorizeRequest, registerSessionAuthorization } from '../auth/authorize.js'
import { registerAccessReview } from '../auth/access-review.js'
import type { SessionService } from '../../sessions/service.js'

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
}

export interface HttpDeps {
  store: Store
  tokens: TokenService
  hub: LinkHub
  routing?: RoutingTable
  sessions?: SessionService
  log: Logger
  metrics: ServerMetrics
  version: string
  bodyLimit?: number
  bookmarkIntervalMs?: number
  /** Open watch and log streams, ended on close. */
  streams: Set<() => void>
  https?: { key: string; cert: string; ticketKeys?: Buffer; sessionTimeout?: number; sessionIdContext?: string }
  /** The CA agents pin on first contact, served at /v1/ca.crt. */
  caPem?: string
  /** Registries container images may come from (undefined: any). */
  allowedRegistries?: string[]
  /** Bytes a watch connection may leave unread before it is cut. */
  watchBufferBytes?: number
}

// Public: health, and the CA certificate (agents verify it against the pin in their join token).
const PUBLIC = new Set(['/healthz', '/readyz', '/v1/ca.crt'])
/** Routes a node credential may use besides the link. */
const NODE_ROUTES = new Set(['/v1/credentials/rotate'])

export async function buildHttpApp(d: HttpDeps): Promise<FastifyInstance> {
  const bodyLimit = d.bodyLimit ?? 1024 * 1024
  const app = Fastify({
    logger: false,
    bodyLimit,
    ...(d.https ? { https: d.https } : {}),
    // Watches and log follows are long-lived; the link has its own heartbeat.
    requestTimeout: 0,
    // Errors the router raises before any route runs (a URL that cannot be decoded) are Status objects too.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).code(400).type('application/json').send(toStatus(new ApiError('BadRequest', err.message)))
    },
  }) as unknown as FastifyInstance
  registerBodyParsers(app)
  await app.register(websocket, { options: { maxPayload: MAX_LINK_MESSAGE_BYTES, perMessageDeflate: LINK_DEFLATE } })

  app.addHook('onRequest', async (req) => {
    // Decide by the route the router matched, not the raw URL: "/v1/%6Aoin" or "/v1/credentials/rotate/"
    // must not reach a route under another route's rules. No route: the raw path (it is a 404 anyway,
    // and still needs a token, so nothing is learned about what exists).
    const path = req.routeOptions.url ?? req.url.split('?')[0]
    if (PUBLIC.has(path)) return
    const bearer = bearerOf(req)
    if (path === '/v1/join') {
      // The join route checks its token itself (a join token is not a general credential).
      if (!bearer) throw new ApiError('Unauthorized', 'joining needs "Authorization: Bearer <join token>"')
      return
    }
    const principal = await d.tokens.authenticate(bearer)
    if (path === LINK_PATH || NODE_ROUTES.has(path)) {
      if (principal.kind !== 'node') throw new ApiError('Forbidden', `${path} takes a node credential (agents get one by joining)`)
    } else if (principal.kind !== 'admin') {
      throw new ApiError('Forbidden', principal.kind === 'node' ? 'a node credential may only be used on the agent link' : 'a join token may only be used to join')
    } else authorizeRequest(req, principal)
    req.principal = principal
  })

  app.addHook('onResponse', async (req, reply) => {
    d.metrics.httpRequests.inc({ method: req.method, code: String(reply.statusCode) })
    d.metrics.httpDuration.observe({ method: req.method }, reply.elapsedTime / 1000)
  })

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    const apiErr = toApiError(err, bodyLimit)
    if (apiErr.code === 'Internal') d.log.error({ err, url: req.url, method: req.method }, 'request failed')
    if (apiErr.details.retryAfterSeconds) reply.header('retry-after', String(apiErr.details.retryAfterSeconds))
    void reply.code(apiErr.status).type('application/json').send(toStatus(apiErr))
  })
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('NotFound', `no route for ${req.method} ${req.url.split('?')[0]}`)
    void reply.code(404).send(toStatus(e))
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/v1/ca.crt', async (_req, reply) => {
    if (!d.caPem) throw new ApiError('NotFound', 'this server runs without TLS')
    reply.type('application/x-pem-file')
    return d.caPem
  })
  app.get('/readyz', async () => ({ status: 'ok' }))
  app.get('/version', async () => versionInfo(d.version, d.store.driver))
  app.get('/metrics', async (_req, reply) => {
    d.metrics.linksConnected.set(d.hub.connectedCount())
    d.metrics.storeRevision.set(await d.store.revision())
    d.hub.refreshCounters()
    let bin = 0, bout = 0
    for (const s of d.hub.stats.values()) { bin += s.bytesIn; bout += s.bytesOut }
    d.metrics.linkBytes.set({ direction: 'in' }, bin)
    d.metrics.linkBytes.set({ direction: 'out' }, bout)
    reply.type(d.metrics.registry.contentType)
    return d.metrics.registry.metrics()
  })
  registerDiscoveryRoutes(app, d.version)
  registerTokenRoutes(app, d.tokens)
  if (d.routing) registerRouteRoutes(app, d.routing)
  if (d.sessions) {
    const sessions = d.sessions
    registerSessionAuthorization(app, (id) => { const v = sessions.view(id); return `${v.namespace}/${v.app}` })
    registerSessionRoutes(app, sessions)
  }
  registerAccessReview(app)
  registerImportRoutes(app, admittingStore(d.store, d.allowedRegistries))
  registerCoreEventRoutes(app, d.store)
  // Nodes and sites read with what the links know now (last message, bytes, serving gateway).
  const live = liveStatus(d.hub.stats, () => d.hub.refreshCounters())
  registerLiveStatus(app, live)
  registerResourceRoutes(app, { store: d.store, logs: d.hub, streams: d.streams, allowedRegistries: d.allowedRegistries, bookmarkIntervalMs: d.bookmarkIntervalMs, live, watchBufferBytes: d.watchBufferBytes })
  app.get(LINK_PATH, { websocket: true }, (socket, req) => {
    d.hub.accept(socket, req.principal!, req.socket)
  })
  return app
}

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization
  if (!h) return undefined
  const m = /^Bearer\s+(.+)$/i.exec(h)
  return m ? m[1].trim() : undefined
}

function toApiError(err: FastifyError | ApiError, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err
  const code = (err as FastifyError).code
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ApiError('PayloadTooLarge', `the request body is larger than the limit of ${bodyLimit} bytes`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return new ApiError('UnsupportedMediaType', 'send application/json or application/yaml')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return new ApiError('BadRequest', 'the request body is empty')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new ApiError('BadRequest', 'the Content-Length does not match the body')
  }
  const status = (err as FastifyError).statusCode
  if (status && status >= 400 && status < 500) return new ApiError(status === 413 ? 'PayloadTooLarge' : status === 415 ? 'UnsupportedMediaType' : 'BadRequest', err.message)
  return new ApiError('Internal', 'internal error; the server log has the details')
}
