// Nodes and Sites as the links know them now. A node's stored link status is refreshed every 30 s
// or more (writes stay modest on a large fleet), so reads take the last message received, the byte
// counters and each site's serving gateway from the link hub, which holds them in memory.
import type { FastifyInstance } from 'fastify'
import type { Resource } from '../../api/meta.js'
import type { LinkStats } from '../../controllers/node-lifecycle.js'

export type Live = (o: Resource) => Resource

export function liveStatus(stats: Map<string, LinkStats>, refresh?: () => void): Live {
  return (o) => {
    if (o.kind === 'Node') {
      const s = stats.get(o.metadata.name)
      const status = o.status as { link?: Record<string, unknown> } | undefined
      if (!s || !status?.link) return o
      refresh?.()
      return { ...o, status: { ...status, link: { ...status.link, lastSeen: new Date(s.lastSeen).toISOString(), bytesIn: s.bytesIn, bytesOut: s.bytesOut } } }
    }
    if (o.kind === 'Site') {
      // The gateway a connected node of the site serves (healthy first).
      let gw: LinkStats['gateway'] | undefined
      for (const s of stats.values()) {
        if (s.site !== o.metadata.name || !s.connected || !s.gateway) continue
        if (!gw || (!gw.healthy && s.gateway.healthy)) gw = s.gateway
      }
      if (!gw) return o
      return { ...o, status: { ...(o.status as object ?? {}), gateway: { address: gw.address, healthy: gw.healthy } } }
    }
    return o
  }
}

const LIVE_PATH = /^\/apis\/edgeplane\.io\/v1\/(nodes|sites)(\/[^/?]+)?(\?|$)/

/** Plain JSON reads of nodes and sites (list or get, not a watch) go out with the live view. */
export function registerLiveStatus(app: FastifyInstance, live: Live): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.method !== 'GET' || reply.statusCode !== 200 || typeof payload !== 'string' || !LIVE_PATH.test(req.url)) return payload
    if (/[?&]watch=(true|1)/.test(req.url)) return payload
    let body: { kind?: string; items?: Resource[] }
    try { body = JSON.parse(payload) } catch { return payload }
    if (body.kind === 'NodeList' || body.kind === 'SiteList') return JSON.stringify({ ...body, items: body.items!.map(live) })
    if (body.kind === 'Node' || body.kind === 'Site') return JSON.stringify(live(body as Resource))
    return payload
  })
}
