// GET /v1/route?host=H&clientIp=IP[&limit=N]: where a client would be sent, the candidates ranked
// with why (the first N, and N of the excluded; `total` counts them all).
import type { FastifyInstance } from 'fastify'
import { isIP } from 'node:net'
import { ApiError } from '../../api/errors.js'
import type { RoutingTable } from '../../routing/table.js'

export function registerRouteRoutes(app: FastifyInstance, table: RoutingTable): void {
  app.get('/v1/route', async (req) => {
    const q = req.query as { host?: string; clientIp?: string; limit?: string }
    if (!q.host) throw new ApiError('BadRequest', 'host is required: /v1/route?host=web.edge.test&clientIp=198.51.100.7')
    const clientIp = q.clientIp ?? req.ip
    if (!isIP(clientIp)) throw new ApiError('BadRequest', `clientIp "${clientIp}" is not an IP address`)
    // At 10,000 sites the whole answer is 2.4 MB; a caller that wants the first few says so.
    if (q.limit !== undefined && !/^[1-9]\d{0,8}$/.test(q.limit)) throw new ApiError('BadRequest', `limit "${q.limit}" is not a positive integer`)
    const limit = q.limit === undefined ? Infinity : Number(q.limit)
    const res = table.routeIp(q.host, clientIp)
    if (!res) throw new ApiError('NotFound', `no app serves host "${q.host}" (set spec.traffic.host on an App)`)
    return {
      host: res.host,
      app: res.app,
      client: res.client,
      total: { endpoints: res.ranked.length, excluded: res.excluded.length },
      endpoints: res.ranked.slice(0, limit).map((r, i) => ({
        rank: i + 1, site: r.site, region: r.region, provider: r.provider, gateways: r.gateways,
        ...(r.distanceKm !== undefined ? { distanceKm: r.distanceKm } : {}),
        readyInstances: r.ready, load: Math.round(r.load * 10) / 10, saturated: r.saturated, reason: r.reason,
      })),
      excluded: res.excluded.slice(0, limit),
    }
  })

  app.get('/v1/demand', async (req) => {
    const q = req.query as { host?: string }
    if (!q.host) throw new ApiError('BadRequest', 'host is required: /v1/demand?host=web.edge.test')
    if (!table.hasHost(q.host)) throw new ApiError('NotFound', `no app serves host "${q.host}"`)
    const points = table.demand.points(q.host)
    return { host: q.host, ...table.observed(q.host), demandRps: Math.round(points.reduce((s, p) => s + p.weight, 0) * 10) / 10, points: points.slice(0, 50).map((p) => ({ ...p, weight: Math.round(p.weight * 100) / 100 })) }
  })
}
