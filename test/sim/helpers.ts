// An in-process server (memory store, TLS with its own CA, so hollow nodes pin it through the join
// token as real agents do) with short heartbeats, and a fleet of hollow nodes against it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Node } from '../../src/api/kinds/index.js'
import { getCondition } from '../../src/api/meta.js'
import { createLogger } from '../../src/lib/log.js'
import { startServer, type RunningServer } from '../../src/server/server.js'
import { openStore } from '../../src/store/open.js'
import { startFleet, type Fleet, type FleetOptions } from '../../src/sim/index.js'

export const log = createLogger('test', 'silent')

export interface SimSetup { srv: RunningServer; fleet: Fleet; admin: string }

export async function simSetup(t: TestContext, fleetOpts: Partial<FleetOptions> & { sites: number }, serverOpts: { centralRegistry?: string } = {}): Promise<SimSetup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ep-sim-test-'))
  const store = openStore({ driver: 'memory' })
  const srv = await startServer({ dataDir, store, log, listen: '127.0.0.1:0', tls: { mode: 'auto' }, heartbeatSeconds: 1, nodeGraceSeconds: 3, ...serverOpts })
  const { token } = await srv.tokens.createJoinToken({ maxUses: 1000, gateway: true })
  let fleet: Fleet | undefined
  t.after(async () => {
    await fleet?.stop()
    await srv.close()
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  fleet = await startFleet({
    server: srv.url, joinToken: token, seed: 42, log, backoff: { initialMs: 50, maxMs: 400 }, tickMs: 20,
    runtime: { startDelayMs: 30, readyDelayMs: 30 }, statusBatchMs: 30, ...fleetOpts,
  })
  return { srv, fleet, admin: readFileSync(srv.adminTokenPath, 'utf8').trim() }
}

export async function nodes(srv: RunningServer): Promise<Map<string, Node>> {
  const { items } = await srv.store.list<Node>('Node')
  return new Map(items.map((n) => [n.metadata.name, n]))
}

export function ready(n: Node | undefined): { status?: string; reason?: string } {
  const c = getCondition(n?.status?.conditions, 'Ready')
  return { status: c?.status, reason: c?.reason }
}

export { until } from '../lib/until.js'

export const V1 = '/apis/edgeplane.io/v1'

/** Applies an App spread over every site (one replica per site). */
export async function applyApp(s: SimSetup, name: string, replicas: number, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await s.srv.app.inject({
    method: 'PATCH', url: `${V1}/namespaces/default/apps/${name}`,
    headers: { authorization: `Bearer ${s.admin}`, 'content-type': 'application/apply-patch+yaml' },
    payload: JSON.stringify({
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name },
      spec: { replicas, template: { command: 'sleep', args: ['1000'], ports: [{ name: 'http' }], ...extra }, placement: { spread: { by: 'site' } }, traffic: { host: `${name}.edge.test`, port: 'http' } },
    }),
  })
  if (res.statusCode >= 300) throw new Error(`apply failed: ${res.statusCode} ${res.body}`)
}
