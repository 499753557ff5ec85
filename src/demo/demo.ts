// `edgeplane demo`: a real fleet on one machine. A server (SQLite) and one agent per site run as
// separate OS processes; each site has its own loopback address (127.0.N.1), so what it serves
// is really distinct. The demo applies examples/hello and waits until it serves everywhere.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { App, Instance } from '../api/kinds/index.js'
import { parseManifests } from '../api/manifest.js'
import type { Resource } from '../api/meta.js'
import { HttpClient } from '../lib/http-client.js'
import { kindInfo } from '../api/kinds/index.js'
import { writeConfigFile } from '../cli/config.js'
import { ResourceClient } from '../cli/resource-client.js'
import { PARENT_PIPE_ENV } from '../lib/parent-pipe.js'
import { watchAncestors } from './ancestors.js'
import { portProblem } from './port-holder.js'
import { displayPath, readyLines, startLines } from './hints.js'
import { DEMO_REGISTRY, startContainerApp } from './container-app.js'
import type { LocalRegistry } from './registry.js'

export interface DemoSite {
  name: string
  region: string
  provider: string
  tier: 'edge' | 'central'
  geo: [number, number]
}

export const DEMO_SITES: DemoSite[] = [
  { name: 'paris', region: 'eu-west', provider: 'self', tier: 'edge', geo: [48.8566, 2.3522] },
  { name: 'frankfurt', region: 'eu-central', provider: 'acme-cloud', tier: 'edge', geo: [50.1109, 8.6821] },
  { name: 'new-york', region: 'us-east', provider: 'globex', tier: 'edge', geo: [40.7128, -74.006] },
  { name: 'tokyo', region: 'ap-northeast', provider: 'acme-cloud', tier: 'edge', geo: [35.6762, 139.6503] },
  { name: 'ashburn', region: 'us-east', provider: 'globex', tier: 'central', geo: [39.0438, -77.4874] },
]

export interface DemoOptions {
  dataDir: string
  listen: string
  /** The authoritative DNS for edge.test. */
  dnsListen: string
  /** Print progress here (stdout by default). */
  out?: (line: string) => void
  readyTimeoutMs?: number
  /** The port of every site's gateway (on the site's own address); default GATEWAY_PORT. */
  gatewayPort?: number
  /** What the agents get as --server (default the demo server's URL); `demo --ha` lists two. */
  agentServers?: string
}

/** Every site's gateway listens on this port of the site's own loopback address. */
export const GATEWAY_PORT = 8080

/** The package root: where examples/ lives and where agents resolve relative working dirs. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** How to run this same CLI again as a child process (works from dist/ and under tsx). */
function selfCommand(): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [...process.execArgv, process.argv[1]] }
}

interface PidRecord { pid: number; role: string }

/** Ends processes a previous demo left behind (it was killed before it could clean up). */
function cleanupPrevious(dataDir: string): void {
  const pidFile = join(dataDir, 'pids.json')
  if (existsSync(pidFile)) {
    for (const p of JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord[]) {
      try { process.kill(-p.pid, 'SIGKILL') } catch { /* gone */ }
    }
  }
  const agentsDir = join(dataDir, 'agents')
  for (const site of DEMO_SITES) {
    const state = join(agentsDir, site.name, 'state.json')
    if (!existsSync(state)) continue
    try {
      const running = JSON.parse(readFileSync(state, 'utf8')).running as Record<string, { handle?: { pid: number; startTime: number } }>
      for (const r of Object.values(running)) {
        if (!r.handle) continue
        const stat = readFileSync(`/proc/${r.handle.pid}/stat`, 'utf8')
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) === r.handle.startTime) process.kill(-r.handle.pid, 'SIGKILL')
      }
    } catch { /* nothing to clean */ }
  }
}

/** A pause that does not keep the process alive on its own. */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref())
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

export async function runDemo(o: DemoOptions): Promise<{ stop: () => Promise<void>; server: string; token: string; done: Promise<void> }> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'))
  // A closed terminal makes writes fail; that must not end the demo before it has stopped its fleet.
  process.stdout.on('error', () => {})
  process.stderr.on('error', () => {})
  const dataDir = resolve(o.dataDir)
  cleanupPrevious(dataDir)
  await checkPorts(o)
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(join(dataDir, 'logs'), { recursive: true })
  const self = selfCommand()
  const children: { proc: ChildProcess; role: string }[] = []
  const savePids = () => writeFileSync(join(dataDir, 'pids.json'), JSON.stringify(children.map((c) => ({ pid: c.proc.pid, role: c.role }))))

  const launch = (role: string, args: string[], stdin: 'ignore' | 'pipe' = 'ignore') => {
    const log = openSync(join(dataDir, 'logs', `${role}.log`), 'a')
    // Own process group: Ctrl-C reaches only the demo, which then stops everything in order. Fd 3 is
    // a pipe the demo never writes: if the demo dies in a way it cannot clean up after (SIGKILL),
    // the child reads EOF there and stops itself (src/lib/parent-pipe.ts).
    const proc = spawn(self.cmd, [...self.args, ...args], {
      cwd: PACKAGE_ROOT, stdio: [stdin, log, log, 'pipe'], detached: true,
      env: { UV_THREADPOOL_SIZE: '16', ...process.env, EDGEPLANE_LOG_LEVEL: process.env.EDGEPLANE_LOG_LEVEL ?? 'info', [PARENT_PIPE_ENV]: '3' },
    })
    children.push({ proc, role })
    savePids()
    return proc
  }

  let stopping: Promise<void> | undefined
  let containerRegistry: LocalRegistry | undefined
  const stop = () => {
    stopping ??= (async () => {
      const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())))
      // Agents first (they stop their instances), then the server.
      const agents = children.filter((c) => c.role !== 'server')
      for (const c of agents) c.proc.kill('SIGTERM')
      await Promise.race([Promise.all(agents.map((c) => exited(c.proc))), delay(15_000)])
      await containerRegistry?.stop()
      for (const c of children) {
        if (c.role === 'server') c.proc.kill('SIGTERM')
      }
      await Promise.race([Promise.all(children.map((c) => exited(c.proc))), delay(5_000)])
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL')
      cleanupPrevious(dataDir)
      rmSync(join(dataDir, 'pids.json'), { force: true })
    })()
    return stopping
  }

  // However the demo's starter goes (Ctrl-C, SIGTERM or SIGHUP to `npm run demo`, the terminal
  // closing, npm killed outright), the fleet goes with it, during start-up too.
  let ready = false
  let resolveDone!: () => void
  const done = new Promise<void>((r) => { resolveDone = r })
  const shutdown = (why: string, exitCode: number) => {
    out(`\n${why}: stopping…`)
    void stop().then(() => { if (ready) resolveDone(); else process.exit(exitCode) })
  }
  const onSignal = (sig: NodeJS.Signals) => shutdown(sig, 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[sig])
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal)
  const unwatch = watchAncestors((pid) => shutdown(`the process that started the demo (pid ${pid}) is gone`, 1))

  try {
    const shown = displayPath(dataDir)
    const siteLines = DEMO_SITES.map((s, i) => ({ ...s, address: `127.0.${i + 1}.1` }))
    const [serverLine, ...agentLines] = startLines(shown, siteLines)
    out(serverLine)
    const server = launch('server', ['server', '--data-dir', join(dataDir, 'server'), '--listen', o.listen,
      '--dns-listen', o.dnsListen, '--geo-rules', join(PACKAGE_ROOT, 'examples', 'geo-rules.yaml'), '--allowed-registries', DEMO_REGISTRY])
    let serverExit = ''
    server.once('exit', (code) => { serverExit = `the server exited with code ${code}; see ${join(dataDir, 'logs', 'server.log')}` })
    const url = `https://${o.listen}`
    // Agents start now, beside the server: loading a Node process's modules takes seconds on a busy
    // machine, so they load while the server starts, then wait for their join token on stdin.
    const agents = DEMO_SITES.map((s, i) => {
      const address = `127.0.${i + 1}.1`
      out(agentLines[i])
      return launch(`agent-${s.name}`, [
        'agent', '--server', o.agentServers ?? url, '--join-token', '-', '--site', s.name, '--region', s.region,
        '--provider', s.provider, '--tier', s.tier, '--geo', `${s.geo[0]},${s.geo[1]}`, '--address', address,
        '--name', `${s.name}-1`, '--data-dir', join(dataDir, 'agents', s.name), '--cpu', '2', '--memory', '2Gi',
        '--label', `city=${s.name}`, '--stop-instances-on-exit', '--gateway', `${address}:${o.gatewayPort ?? GATEWAY_PORT}`,
      ], 'pipe')
    })
    const tokenPath = join(dataDir, 'server', 'admin.token')
    const caFile = join(dataDir, 'server', 'pki', 'ca.crt')
    const token = await waitFor('the server', 30_000, async () => {
      if (serverExit) throw new Error(serverExit)
      if (!existsSync(tokenPath) || !existsSync(caFile)) return undefined
      const probe = new HttpClient({ baseUrl: url, ca: readFileSync(caFile, 'utf8'), timeoutMs: 2000 })
      try {
        await probe.request('GET', '/healthz')
        return readFileSync(tokenPath, 'utf8').trim()
      } finally {
        await probe.close()
      }
    })
    const http = new HttpClient({ baseUrl: url, token, ca: readFileSync(caFile, 'utf8') })
    const client = new ResourceClient(http)
    const join_ = (await http.request('POST', '/v1/tokens', { type: 'join', ttlSeconds: 3600, maxUses: DEMO_SITES.length, gateway: true, description: 'demo agents' })) as { token: string }

    // The join token goes to every agent's stdin: they took the time to load meanwhile.
    for (const a of agents) { a.stdin!.on('error', () => { /* that agent is gone: its exit is reported */ }); a.stdin!.end(join_.token + '\n') }

    const configPath = writeConfigFile({ server: url, token, caFile })
    await waitFor('all nodes to be ready', 60_000, async () => {
      const { items } = await client.list(kindInfo('Node')!)
      const ready = items.filter((n) => (n.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      return ready.length === DEMO_SITES.length ? true : undefined
    })
    out(`all ${DEMO_SITES.length} sites joined`)

    // hello: one replica per site; game: a warm session pool in every site.
    for (const example of ['hello', 'game']) {
      const manifest = join(PACKAGE_ROOT, 'examples', example, 'app.yaml')
      for (const doc of parseManifests(readFileSync(manifest, 'utf8'), manifest)) {
        const { obj, action } = await client.apply(doc as Resource)
        out(`${obj.kind.toLowerCase()}/${obj.metadata.name} ${action}`)
      }
    }
    containerRegistry = await startContainerApp({ packageRoot: PACKAGE_ROOT, dataDir, apply: (doc) => client.apply(doc), out })
    const app = await waitFor('hello to be ready', o.readyTimeoutMs ?? 90_000, async () => {
      const a = await client.get<App>(kindInfo('App')!, 'default', 'hello')
      return (a.status?.readyReplicas ?? 0) >= a.spec.replicas && a.spec.replicas > 0 ? a : undefined
    })
    const { items } = await client.list<Instance>(kindInfo('Instance')!, { labelSelector: 'edgeplane.io/app=hello' })
    const bySite = new Map(items.map((i) => [i.spec.site, i.status?.endpoints?.http]))
    const [dnsHost, dnsPort] = splitHostPort(o.dnsListen)
    for (const line of readyLines({
      ready: app.status!.readyReplicas ?? 0, replicas: app.spec.replicas, sites: app.status!.sites?.length ?? 0, url, configPath: displayPath(configPath), dataDir: shown,
      endpoints: { paris: bySite.get('paris'), tokyo: bySite.get('tokyo') }, dnsHost, dnsPort, gatewayPort: o.gatewayPort ?? GATEWAY_PORT,
      containerApp: !!containerRegistry,
    })) out(line)
    ready = true
    await http.close()
    return { stop, server: url, token, done: done.then(unwatch) }
  } catch (err) {
    unwatch()
    await stop()
    throw err
  }
}

/** Every address the demo listens on must be free; else say which process holds it. */
async function checkPorts(o: DemoOptions): Promise<void> {
  const [host, port] = splitHostPort(o.listen)
  const [dnsHost, dnsPort] = splitHostPort(o.dnsListen)
  const problems = [
    await portProblem('the API address', host, port),
    await portProblem('the DNS address', dnsHost, dnsPort, true),
    await portProblem('the DNS address', dnsHost, dnsPort),
    ...await Promise.all(DEMO_SITES.map((s, i) => portProblem(`${s.name}'s gateway address`, `127.0.${i + 1}.1`, o.gatewayPort ?? GATEWAY_PORT))),
  ].filter((p): p is string => !!p)
  if (problems.length) throw new Error(`cannot start the demo: ${problems.join('; ')}`)
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))]
}
