// End-to-end helpers for the gateway tests: backend instances as real child processes, gateways on
// their own loopback addresses, and a small HTTP client that can bind its source address.
import { spawn } from 'node:child_process'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import { createLogger } from '../../src/lib/log.js'
import type { Clock } from '../../src/lib/clock.js'
import { SiteGateway, StaticGatewayTable, type GatewayLimits, type GatewayRoute } from '../../src/agent/gateway/index.js'

const FIXTURE = new URL('./fixtures/backend.mjs', import.meta.url).pathname

export interface Backend {
  name: string
  address: string
  stats(): Promise<{ started: number; completed: number; wsOpen: number; wsTotal: number }>
}

/** Starts fixtures/backend.mjs as a child process on host (port chosen by the OS). */
export async function startBackend(t: TestContext, name: string, host = '127.0.0.1'): Promise<Backend> {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, NAME: name, HOST: host, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      const m = /listening (\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`backend ${name} exited with ${code}`)))
  })
  const address = `${host}:${port}`
  return {
    name, address,
    stats: async () => JSON.parse((await get(address, 'stats', '/__stats')).body),
  }
}

export async function startGateway(t: TestContext, o: { site: string; host?: string; routes?: GatewayRoute[]; limits?: Partial<GatewayLimits>; clock?: Clock; table?: StaticGatewayTable }): Promise<{ gw: SiteGateway; table: StaticGatewayTable }> {
  const table = o.table ?? new StaticGatewayTable(o.routes ?? [])
  const gw = new SiteGateway({ listen: `${o.host ?? '127.0.0.1'}:0`, table, site: o.site, limits: o.limits, clock: o.clock, log: createLogger('gateway', 'silent') })
  await gw.start()
  t.after(() => gw.stop())
  return { gw, table }
}

export function route(host: string, endpoints: (Backend | string)[], fallbacks: { site: string; gateway: string }[] = []): GatewayRoute {
  return {
    host,
    endpoints: endpoints.map((e, i) => ({ id: `default/${host}-${i}`, address: typeof e === 'string' ? e : e.address, ready: true })),
    fallbacks,
  }
}

export interface Reply { status: number; headers: IncomingHttpHeaders; body: string }

export interface RequestOptions {
  method?: string
  headers?: Record<string, string | number>
  body?: string | Buffer
  /** Source address to bind (the client IP the gateway sees). */
  localAddress?: string
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean
}

/** One request on a fresh connection to target ('host:port') with the given Host header. */
export function get(target: string, host: string, path: string, o: RequestOptions = {}): Promise<Reply> {
  const [h, p] = splitHostPort(target)
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { host, ...(o.headers ?? {}) }
    if (o.body !== undefined && !o.chunked) headers['content-length'] = Buffer.byteLength(o.body)
    const req = httpRequest({ host: h, port: p, path, method: o.method ?? 'GET', headers, agent: false, localAddress: o.localAddress }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (o.body !== undefined) req.end(o.body)
    else req.end()
  })
}

/** Writes raw bytes on a new socket and collects everything until the gateway closes it. */
export function raw(target: string, data: string | Buffer, o: { localAddress?: string; timeoutMs?: number } = {}): Promise<{ text: string; closedAfterMs: number }> {
  const [host, port] = splitHostPort(target)
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress: o.localAddress })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`socket still open after ${o.timeoutMs ?? 5000} ms; got: ${Buffer.concat(chunks)}`)) }, o.timeoutMs ?? 5000)
    s.on('data', (c) => chunks.push(c))
    s.on('error', () => { /* a reset after the answer is fine: we judge by what arrived */ })
    s.on('close', () => { clearTimeout(timer); resolve({ text: Buffer.concat(chunks).toString(), closedAfterMs: Date.now() - t0 }) })
    s.write(data)
  })
}

/** Opens a TCP connection and leaves it idle (closed by the test's cleanup). */
export function openIdle(t: TestContext, target: string, localAddress: string): Promise<Socket> {
  const [host, port] = splitHostPort(target)
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, localAddress }, () => resolve(s))
    s.on('error', reject)
    t.after(() => s.destroy())
  })
}

/** An address:port nothing listens on (bound, then released). */
export async function deadAddress(host = '127.0.0.1'): Promise<string> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, host, r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return `${host}:${port}`
}

export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

function splitHostPort(a: string): [string, number] {
  const i = a.lastIndexOf(':')
  return [a.slice(0, i), Number(a.slice(i + 1))]
}
