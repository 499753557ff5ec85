// What an instance sees: its template env plus HOST, PORT (the first port) and PORT_<NAME> per
// named port, and who it is. Endpoints are "address:port" per port name.
import type { DesiredInstance } from '../api/link.js'

export function portEnvName(name: string): string {
  return `PORT_${name.toUpperCase().replace(/-/g, '_')}`
}

export function instanceEnv(d: DesiredInstance, ctx: { address: string; node: string; site: string; ports: Record<string, number> }): Record<string, string> {
  const env: Record<string, string> = { ...(d.template.env ?? {}) }
  env.HOST = ctx.address
  const names = (d.template.ports ?? []).map((p) => p.name)
  if (names.length) env.PORT = String(ctx.ports[names[0]])
  for (const n of names) env[portEnvName(n)] = String(ctx.ports[n])
  if (d.sessionKey) {
    // Session apps check the tokens their users bring with this key (see examples/game).
    env.EDGEPLANE_SESSION_KEY = d.sessionKey
    env.EDGEPLANE_SESSION_SLOTS = String(d.slots ?? 1)
  }
  Object.assign(env, {
    EDGEPLANE_INSTANCE: d.name, EDGEPLANE_NAMESPACE: d.namespace, EDGEPLANE_APP: d.app,
    EDGEPLANE_REVISION: d.revision, EDGEPLANE_NODE: ctx.node, EDGEPLANE_SITE: ctx.site,
  })
  return env
}

export function endpointsOf(address: string, ports: Record<string, number>): Record<string, string> {
  const host = address.includes(':') ? `[${address}]` : address
  return Object.fromEntries(Object.entries(ports).map(([n, p]) => [n, `${host}:${p}`]))
}
