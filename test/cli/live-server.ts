// A real server on a loopback port (plain HTTP, memory store) holding at least one object of every
// kind the API serves, for the CLI and kubectl tests; and the CLI run in-process with its output caught.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { API_VERSION, type Resource } from '../../src/api/meta.js'
import { templateRevision } from '../../src/api/revision.js'
import { createLogger } from '../../src/lib/log.js'
import { openStore } from '../../src/store/open.js'
import { startServer, type RunningServer } from '../../src/server/server.js'
import { main } from '../../src/cli/main.js'

const TEMPLATE = { runtime: 'process', command: 'node', args: ['server.js'], ports: [{ name: 'http' }] }

export interface LiveServer { srv: RunningServer; url: string; token: string; dir: string; ca?: string }

export async function startLiveServer(t: TestContext, o: { tls?: boolean } = {}): Promise<LiveServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-cli-'))
  const store = openStore({ driver: 'memory' })
  const srv = await startServer({ dataDir: dir, store, log: createLogger('test', 'silent'), listen: '127.0.0.1:0', tls: o.tls ? { mode: 'auto' } : { mode: 'off' } })
  t.after(async () => {
    await srv.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { srv, url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${srv.port}`, token: readFileSync(srv.adminTokenPath, 'utf8').trim(), dir, ca: srv.ca }
}

/** One object of every served kind (Sessions are written to the store: the API only reads them). */
export async function populate(srv: RunningServer): Promise<Record<string, Resource>> {
  const now = new Date().toISOString()
  const meta = (name: string, ns = true) => ({ name, ...(ns ? { namespace: 'default' } : {}) })
  const objs: Resource[] = [
    { apiVersion: API_VERSION, kind: 'Site', metadata: meta('paris', false), spec: { region: 'eu-west', provider: 'self', tier: 'edge', geo: { lat: 48.85, lon: 2.35 } } },
    { apiVersion: API_VERSION, kind: 'Node', metadata: meta('paris-1', false), spec: { site: 'paris', address: '127.0.0.1' } },
    { apiVersion: API_VERSION, kind: 'App', metadata: meta('hello'), spec: { replicas: 1, template: TEMPLATE } },
    { apiVersion: API_VERSION, kind: 'Revision', metadata: meta('hello-manual'), spec: { app: 'hello', revision: 'manual', number: 99, template: TEMPLATE } },
    { apiVersion: API_VERSION, kind: 'Instance', metadata: meta('hello-x1'), spec: { app: 'hello', revision: templateRevision(TEMPLATE as never), node: 'paris-1', site: 'paris', template: TEMPLATE } },
    { apiVersion: API_VERSION, kind: 'Session', metadata: meta('s-1'), spec: { app: 'hello', site: 'paris', node: 'paris-1', instance: 'hello-x1', slot: 0, clientIp: '192.0.2.1' },
      status: { phase: 'Active', expiresAt: new Date(Date.now() + 600_000).toISOString(), endpoint: { address: '127.0.0.1', port: 30000, url: 'http://127.0.0.1:30000' }, start: 'warm' } },
    { apiVersion: API_VERSION, kind: 'Event', metadata: meta('hello.1'), involvedObject: { kind: 'App', namespace: 'default', name: 'hello' }, type: 'Normal', reason: 'Tested', message: 'a test event', count: 1, firstTimestamp: now, lastTimestamp: now, source: { component: 'test' } } as Resource,
  ]
  const out: Record<string, Resource> = {}
  for (const o of objs) out[o.kind] = await srv.store.create(o)
  return out
}

/** Runs the CLI in this process (as `edgeplane ARGS`), catching what it writes and its exit code. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = ''
  const w1 = process.stdout.write, w2 = process.stderr.write
  const prevCode = process.exitCode
  process.exitCode = 0
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true }) as typeof process.stdout.write
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true }) as typeof process.stderr.write
  try {
    await main(['node', 'edgeplane', ...args])
  } finally {
    process.stdout.write = w1
    process.stderr.write = w2
  }
  const code = Number(process.exitCode ?? 0)
  process.exitCode = prevCode
  return { code, stdout, stderr }
}
