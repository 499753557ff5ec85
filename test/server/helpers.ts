// Shared helpers for the HTTP API tests: a server on a memory store driven through fastify's
// inject() (no sockets), the admin token, fixtures and Status assertions.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { ErrorCode } from '../../src/api/errors.js'
import { API_VERSION } from '../../src/api/meta.js'
import type { Clock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { openStore } from '../../src/store/open.js'
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js'

export const V1 = '/apis/edgeplane.io/v1'
export const APPS = `${V1}/namespaces/default/apps`
export const SITES = `${V1}/sites`

export interface TestServer {
  srv: RunningServer
  admin: string
  /** inject() with the admin token unless headers.authorization is given (null: none). */
  req(opts: InjectOptions & { token?: string | null }): Promise<LightMyRequestResponse>
}

/**
 * Starts a server on a memory store in a temp dir; closes it (and removes the dir) after the test.
 * TLS is off unless asked for: inject() needs no socket, and making a CA per test is slow.
 */
export async function startTestServer(t: TestContext, opts: { clock?: Clock; bodyLimit?: number; tls?: boolean; watchBookmarkIntervalMs?: number; watchBufferBytes?: number; auditLog?: string; server?: Partial<ServerOptions> } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgeplane-http-'))
  const store = openStore({ driver: 'memory' }, { clock: opts.clock })
  const srv = await startServer({
    dataDir, store, clock: opts.clock, log: createLogger('test', (process.env.TEST_LOG ?? 'silent') as 'silent'), listen: '127.0.0.1:0', bodyLimit: opts.bodyLimit, watchBookmarkIntervalMs: opts.watchBookmarkIntervalMs, watchBufferBytes: opts.watchBufferBytes,
    tls: opts.tls ? { mode: 'auto' } : { mode: 'off' }, ...opts.server,
  })
  t.after(async () => {
    await srv.close()
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const admin = readFileSync(srv.adminTokenPath, 'utf8').trim()
  return {
    srv,
    admin,
    req({ token, ...o }) {
      const headers = { ...(o.headers ?? {}) } as Record<string, string>
      const tok = token === undefined ? admin : token
      if (tok !== null && headers.authorization === undefined) headers.authorization = `Bearer ${tok}`
      return srv.app.inject({ ...o, headers })
    },
  }
}

/** Waits until the controllers have reacted to earlier writes and the store revision stops moving. */
export async function settle(srv: RunningServer): Promise<number> {
  let last = -1
  let stable = 0
  while (stable < 3) {
    await Promise.all([srv.controllers.apps.queue.idle(), srv.controllers.sites.queue.idle()])
    await sleep(5)
    const rev = await srv.store.revision()
    if (rev === last) stable++
    else { stable = 0; last = rev }
  }
  return last
}

export function json(res: LightMyRequestResponse): any {
  try {
    return res.json()
  } catch {
    assert.fail(`response is not JSON (${res.statusCode}): ${res.body.slice(0, 200)}`)
  }
}

/** Asserts a Kubernetes Status failure with this HTTP status (and registry code, when given). */
export function assertStatus(res: LightMyRequestResponse, status: number, code?: ErrorCode): any {
  const body = json(res)
  assert.equal(res.statusCode, status, `expected ${status}, got ${res.statusCode}: ${res.body}`)
  assert.equal(body.kind, 'Status')
  assert.equal(body.apiVersion, 'v1')
  assert.equal(body.status, 'Failure')
  assert.equal(body.code, status)
  assert.equal(typeof body.reason, 'string')
  assert.equal(typeof body.message, 'string')
  assert.ok(body.message.length > 0)
  if (code) assert.equal(body.details?.code, code, `expected code ${code}: ${res.body}`)
  return body
}

export function appManifest(name: string, opts: { namespace?: string; labels?: Record<string, string>; replicas?: number; command?: string } = {}): any {
  return {
    apiVersion: API_VERSION,
    kind: 'App',
    metadata: { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      replicas: opts.replicas ?? 0,
      template: { command: opts.command ?? 'node', args: ['server.js'], ports: [{ name: 'http' }] },
    },
  }
}

export function siteManifest(name: string, opts: { region?: string; labels?: Record<string, string> } = {}): any {
  return {
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { region: opts.region ?? 'eu-west', provider: 'acme' },
  }
}

/** The store revision as the API reports it (list metadata.resourceVersion). */
export async function listRevision(ts: TestServer, url = APPS): Promise<string> {
  const res = await ts.req({ method: 'GET', url })
  assert.equal(res.statusCode, 200, res.body)
  return json(res).metadata.resourceVersion
}

/** Reads newline-delimited JSON from a stream; next() waits (bounded) for the next value. */
export class LineReader {
  private buf = ''
  private values: any[] = []
  private waiters: (() => void)[] = []
  ended = false

  constructor(stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>) {
    void (async () => {
      try {
        for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
          this.buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
          let i: number
          while ((i = this.buf.indexOf('\n')) >= 0) {
            const line = this.buf.slice(0, i)
            this.buf = this.buf.slice(i + 1)
            if (line.trim()) this.values.push(JSON.parse(line))
          }
          this.wake()
        }
      } catch {
        // aborted or destroyed: treated as the end
      }
      this.ended = true
      this.wake()
    })()
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  /** The next value, or undefined once the stream has ended. Fails after timeoutMs. */
  async next(timeoutMs = 3000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    while (!this.values.length && !this.ended) {
      const left = deadline - Date.now()
      if (left <= 0) assert.fail('timed out waiting for a watch event')
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left)
        this.waiters.push(() => { clearTimeout(timer); r() })
      })
    }
    return this.values.shift()
  }

  /** Reads values until `until` matches one; returns all read, the match last. */
  async readUntil(until: (v: any) => boolean, timeoutMs = 3000): Promise<any[]> {
    const out: any[] = []
    for (;;) {
      const v = await this.next(timeoutMs)
      if (v === undefined) assert.fail(`the stream ended before the expected event; read ${JSON.stringify(out.map((e) => [e.type, e.object?.metadata?.name]))}`)
      out.push(v)
      if (until(v)) return out
    }
  }
}
