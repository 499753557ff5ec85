// GET /v1/route?host=H&clientIp=IP: where a client would be sent, every candidate ranked with why.
import type { FastifyInstance } from 'fastify'
import { isIP } from 'node:net'
import { ApiError } from '../../api/errors.js'
import type { RoutingTable } from '../../routing/table.js'

export function registerRouteRoutes(app: FastifyInstance, table: RoutingTable): void {
  app.get('/v1/route', async (req) => {
    const q = req.query as { host?: string; clientIp?: string }
    if (!q.host) throw new ApiError('BadRequest', 'host is required: /v1/route?host=web.edge.test&clientIp=198.51.100.7')
    const clientIp = q.clientIp ?? req.ip
    if (!isIP(clientIp)) throw new ApiError('BadRequest', `clientIp "${clientIp}" is not an IP address`)
    const res = table.routeIp(q.host, clientIp)
    if (!res) throw new ApiError('NotFound', `no app serves host "${q.host}" (set spec.traffic.host on an App)`)
    return {
      host: res.host,
      app: res.app,
      client: res.client,
      endpoints: res.ranked.map((r, i) => ({
        rank: i + 1, site: r.site, region: r.region, provider: r.provider, gateways: r.gateways,
        ...(r.distanceKm !== undefined ? { distanceKm: r.distanceKm } : {}),
        readyInstances: r.ready, load: Math.round(r.load * 10) / 10, saturated: r.saturated, reason: r.reason,
      })),
      excluded: res.excluded,
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
