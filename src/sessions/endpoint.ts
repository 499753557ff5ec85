// Where a session's user connects: the instance's address and port for the app's traffic port.
import type { App, Instance } from '../api/kinds/index.js'

export function endpointOf(i: Instance, app: App | undefined): { address: string; port: number } | undefined {
  const name = app?.spec.traffic?.port ?? i.spec.template.ports?.[0]?.name
  const ep = name ? i.status?.endpoints?.[name] : undefined
  if (!ep) return undefined
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(ep)
  return m ? { address: m[1], port: Number(m[2]) } : undefined
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
