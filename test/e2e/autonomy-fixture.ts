// Shared set-up of the edge-autonomy end-to-end tests (issue 3): a real server and real agents on
// loopback, apps of the hello example, and read-outs of nodes and instances through the API.
// Everything goes through fleet-helpers (which owns how the server is started and reached).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { api, cli, instanceProcesses, startAgentProc, startServerProc, waitUntil, type Proc, workloadManifest, testScope } from './fleet-helpers.js'

export const API = '/apis/edgeplane.io/v1'
export const SERVER_FLAGS = ['--heartbeat-seconds', '1', '--node-grace-seconds', '3']

type Server = Awaited<ReturnType<typeof startServerProc>>

export interface NodeSpec { site: string; name: string; address: string; dataDir: string; labels: Record<string, string> }

export interface Fleet {
  dir: string
  serverDir: string
  server: Server
  /** host:port the server listens on; a restarted server takes the same one, so agents find it again. */
  listen: string
  nodes: NodeSpec[]
  agents: Map<string, Proc>
  joinToken: string
  /** CLI environment for the current server. */
  env(): Record<string, string>
  /** Starts the server again on the same data dir and address (after it was killed). */
  restartServer(flags?: string[]): Promise<Server>
  /** Starts (or restarts, without join token) the agent of a node. */
  startAgent(node: string, extra?: string[]): Proc
  /** Labels every site of this fleet has (each also has autonomy=<its site>). */
  allSites: Record<string, string>
  /** Writes an app manifest placed on the sites matching `siteLabels` and returns its path. */
  manifest(name: string, replicas: number, siteLabels: Record<string, string>, opts?: { spreadBySite?: boolean }): string
  track(p: Proc): Proc
}

/**
 * A server and one agent per site (each site on its own loopback address, labelled
 * autonomy=<site> and fleet=<random>, node names made unique the same way), all Ready. Every process is killed after the test, instance processes included.
 */
export async function startFleet(t: TestContext, prefix: string, sites: { site: string; address: string }[], serverFlags = SERVER_FLAGS): Promise<Fleet> {
  const tmp = testScope(t, prefix, { pids: () => instanceProcesses(nodes.map((n) => n.name)).map((p) => p.pid) })
  const procs = tmp.procs
  const suffix = randomBytes(3).toString('hex')
  const allSites = { fleet: suffix }
  const nodes: NodeSpec[] = sites.map((s) => ({
    site: s.site, name: `${s.site}-${suffix}`, address: s.address, dataDir: join(tmp.dir, s.site), labels: { autonomy: s.site, ...allSites },
  }))
  const track = (p: Proc) => { procs.push(p); return p }

  const serverDir = join(tmp.dir, 'server')
  let server = await startServerProc(serverDir, serverFlags)
  track(server)
  const listen = new URL(server.url).host
  const env = () => ({ ...server.env, EDGEPLANE_CONFIG: join(tmp.dir, 'config.json') })
  const created = await cli(['token', 'create', '--join', '--max-uses', String(nodes.length)], env())
  assert.equal(created.code, 0, created.stderr)
  const joinToken = created.stdout.trim()

  const agents = new Map<string, Proc>()
  const fleet: Fleet = {
    dir: tmp.dir, serverDir, get server() { return server }, listen, nodes, agents, joinToken, env, track, allSites,
    async restartServer(flags = serverFlags) {
      server = await startServerProc(serverDir, flags, listen)
      track(server)
      return server
    },
    startAgent(name, extra = []) {
      const n = nodes.find((x) => x.name === name)!
      // The join token only the first time: afterwards the agent has its credential (and pinned CA) on disk.
      const p = track(startAgentProc(server.url, n, agents.has(name) ? undefined : joinToken, extra))
      agents.set(name, p)
      return p
    },
    manifest(name, replicas, siteLabels, opts = {}) {
      const path = join(tmp.dir, `${name}-${replicas}.yaml`)
      writeFileSync(path, workloadManifest(name, { replicas, extra: `  placement:
${opts.spreadBySite ? '    spread: {by: site}\n' : ''}    siteSelector: {matchLabels: ${JSON.stringify(siteLabels)}}
` }))
      return path
    },
  }
  for (const n of nodes) fleet.startAgent(n.name)
  await waitForNodes(fleet.server, nodes.map((n) => n.name), 0)
  return fleet
}

export async function listNodes(s: Server): Promise<any[]> {
  const res = await api(s.url, s.token, 'GET', `${API}/nodes`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

export async function listInstances(s: Server): Promise<any[]> {
  const res = await api(s.url, s.token, 'GET', `${API}/namespaces/default/instances`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body.items
}

export function readyCondition(n: any): any {
  return n.status?.conditions?.find((c: any) => c.type === 'Ready')
}

/**
 * Waits until every named node is Ready with its link Connected since `since` (ms): on a restarted
 * server this proves the agent really came back, not that the store still holds the old status.
 */
export async function waitForNodes(s: Server, names: string[], since: number): Promise<any[]> {
  return waitUntil(`nodes ${names.join(', ')} connected and Ready`, async () => {
    const items = await listNodes(s)
    const ok = names.every((name) => {
      const n = items.find((x) => x.metadata.name === name)
      return n && n.status?.link?.state === 'Connected' && Date.parse(n.status.link.connectedAt) >= since && readyCondition(n)?.status === 'True'
    })
    return ok ? items : undefined
  }, 120_000)
}

/** Waits until the instances of `app` are exactly `count`, all Running and ready. */
export async function waitForReady(s: Server, app: string, count: number, also: (i: any) => boolean = () => true): Promise<any[]> {
  return waitUntil(`${count} ready instance(s) of ${app}`, async () => {
    const mine = (await listInstances(s)).filter((i) => i.spec.app === app)
    return mine.length === count && mine.every((i) => i.status?.phase === 'Running' && i.status.ready && also(i)) ? mine : undefined
  }, 120_000)
}

/** GET / of an instance: the hello example answers with its pid and instance name. */
export async function hello(endpoint: string): Promise<{ pid: number; instance: string; site: string }> {
  const res = await fetch(`http://${endpoint}/`, { signal: AbortSignal.timeout(10_000) })
  assert.equal(res.status, 200)
  return await res.json() as { pid: number; instance: string; site: string }
}

/** How many times the agent logged this message (pino JSON lines). */
export function logged(p: Proc, msg: string, instance?: string): number {
  return p.output().split('\n').filter((l) => l.includes(`"msg":"${msg}"`) && (!instance || l.includes(`"instance":"default/${instance}"`))).length
}

/** name → pid of instances, from their status. */
export function pidsOf(items: any[]): Record<string, number> {
  return Object.fromEntries(items.map((i) => [i.metadata.name, i.status.pid as number]))
}
