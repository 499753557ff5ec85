// One readiness/liveness check against an instance's port. Never throws: a probe that cannot run
// is a failed probe with a message saying why.
import { request } from 'node:http'
import { connect } from 'node:net'
import type { Probe } from '../../api/kinds/index.js'

export interface ProbeResult {
  ok: boolean
  message: string
}

export type ProbeRunner = (probe: Probe, host: string, ports: Record<string, number>) => Promise<ProbeResult>

export async function runProbe(probe: Probe, host: string, ports: Record<string, number>): Promise<ProbeResult> {
  try {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000
    if (probe.http) {
      const port = ports[probe.http.port]
      if (port === undefined) return { ok: false, message: `port "${probe.http.port}" has no host port` }
      return await httpProbe(host, port, probe.http.path ?? '/', timeoutMs)
    }
    if (probe.tcp) {
      const port = ports[probe.tcp.port]
      if (port === undefined) return { ok: false, message: `port "${probe.tcp.port}" has no host port` }
      return await tcpProbe(host, port, timeoutMs)
    }
    return { ok: false, message: 'probe sets neither http nor tcp' }
  } catch (err) {
    return { ok: false, message: `probe error: ${(err as Error).message}` }
  }
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(r)
    }
    // agent: false: a fresh connection each time, as a pooled one would hide a dead listener.
    const req = request(url, { method: 'GET', agent: false, headers: { 'user-agent': 'edgeplane-probe' } }, (res) => {
      const status = res.statusCode ?? 0
      res.resume()
      finish({ ok: status >= 200 && status < 400, message: `GET ${path}: HTTP ${status}` })
    })
    const timer = setTimeout(() => finish({ ok: false, message: `GET ${path}: no response within ${timeoutMs} ms` }), timeoutMs)
    req.on('error', (err) => finish({ ok: false, message: `GET ${path}: ${err.message}` }))
    req.end()
  })
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false
    const finish = (r: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      sock.destroy()
      resolve(r)
    }
    const sock = connect({ host, port }, () => finish({ ok: true, message: `tcp ${host}:${port}: connected` }))
    const timer = setTimeout(() => finish({ ok: false, message: `tcp ${host}:${port}: no connection within ${timeoutMs} ms` }), timeoutMs)
    sock.on('error', (err) => finish({ ok: false, message: `tcp ${host}:${port}: ${err.message}` }))
  })
}
