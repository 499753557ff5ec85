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
  const dataDir = resolve(o.dataDir)
  cleanupPrevious(dataDir)
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(join(dataDir, 'logs'), { recursive: true })
  const self = selfCommand()
  const children: { proc: ChildProcess; role: string }[] = []
  const savePids = () => writeFileSync(join(dataDir, 'pids.json'), JSON.stringify(children.map((c) => ({ pid: c.proc.pid, role: c.role }))))

  const launch = (role: string, args: string[]) => {
    const log = openSync(join(dataDir, 'logs', `${role}.log`), 'a')
    // Own process group: Ctrl-C reaches only the demo, which then stops everything in order.
    const proc = spawn(self.cmd, [...self.args, ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', log, log], detached: true, env: { UV_THREADPOOL_SIZE: '16', ...process.env, EDGEPLANE_LOG_LEVEL: process.env.EDGEPLANE_LOG_LEVEL ?? 'info' } })
    children.push({ proc, role })
    savePids()
    return proc
  }

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())))
      // Agents first (they stop their instances), then the server.
      const agents = children.filter((c) => c.role !== 'server')
      for (const c of agents) c.proc.kill('SIGTERM')
      await Promise.race([Promise.all(agents.map((c) => exited(c.proc))), delay(15_000)])
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

  try {
    out(`starting the server (SQLite in ${join(dataDir, 'server')})…`)
    const server = launch('server', ['server', '--data-dir', join(dataDir, 'server'), '--listen', o.listen,
      '--dns-listen', o.dnsListen, '--geo-rules', join(PACKAGE_ROOT, 'examples', 'geo-rules.yaml')])
    let serverExit = ''
    server.once('exit', (code) => { serverExit = `the server exited with code ${code}; see ${join(dataDir, 'logs', 'server.log')}` })
    const url = `https://${o.listen}`
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

    DEMO_SITES.forEach((s, i) => {
      const address = `127.0.${i + 1}.1`
      out(`starting agent for site ${s.name.padEnd(10)} ${s.tier.padEnd(7)} ${s.region.padEnd(13)} ${s.provider.padEnd(11)} at ${address}`)
      launch(`agent-${s.name}`, [
        'agent', '--server', url, '--join-token', join_.token, '--site', s.name, '--region', s.region,
        '--provider', s.provider, '--tier', s.tier, '--geo', `${s.geo[0]},${s.geo[1]}`, '--address', address,
        '--name', `${s.name}-1`, '--data-dir', join(dataDir, 'agents', s.name), '--cpu', '2', '--memory', '2Gi',
        '--label', `city=${s.name}`, '--stop-instances-on-exit', '--gateway', `${address}:${GATEWAY_PORT}`,
      ])
    })

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
    const app = await waitFor('hello to be ready', o.readyTimeoutMs ?? 90_000, async () => {
      const a = await client.get<App>(kindInfo('App')!, 'default', 'hello')
      return (a.status?.readyReplicas ?? 0) >= a.spec.replicas && a.spec.replicas > 0 ? a : undefined
    })
    const { items } = await client.list<Instance>(kindInfo('Instance')!, { labelSelector: 'edgeplane.io/app=hello' })
    out('')
    out(`hello is ready: ${app.status!.readyReplicas}/${app.spec.replicas} instances on ${app.status!.sites?.length} sites`)
    out(`API:           ${url}`)
    out(`client config: ${configPath} (edgeplane get sites | nodes | apps | instances)`)
    out(`logs:          ${join(dataDir, 'logs')}`)
    out('reach instances at two different sites:')
    const bySite = new Map(items.map((i) => [i.spec.site, i]))
    for (const site of ['paris', 'tokyo']) {
      const ep = bySite.get(site)?.status?.endpoints?.http
      if (ep) out(`  curl http://${ep}/      # ${site}, the instance itself`)
    }
    const [dnsHost, dnsPort] = o.dnsListen.split(':')
    out('through the request path (DNS picks the nearest site, its gateway picks an instance):')
    out(`  dig @${dnsHost} -p ${dnsPort} hello.edge.test +subnet=198.51.100.0/24 +short   # a client in Paris`)
    out(`  dig @${dnsHost} -p ${dnsPort} hello.edge.test +subnet=203.0.113.0/24 +short    # a client in Tokyo`)
    out(`  curl -H 'Host: hello.edge.test' http://127.0.4.1:${GATEWAY_PORT}/                 # Tokyo's gateway`)
    out(`  node bin/edgeplane.js route hello.edge.test --client-ip 192.0.2.10               # why New York`)
    out('a session for a player near Tokyo (a warm game instance, a token it checks itself):')
    out(`  node bin/edgeplane.js session create --app game --client-ip 203.0.113.9`)
    out('a rollout, wave by wave (canary first): change an env value in examples/hello/app.yaml, then')
    out(`  node bin/edgeplane.js apply -f examples/hello/app.yaml && node bin/edgeplane.js rollout status hello --watch`)
    out('Ctrl-C stops everything the demo started.')
    const done = new Promise<void>((resolveDone) => {
      const onSignal = () => { out('\nstopping…'); void stop().then(() => resolveDone()) }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
    })
    await http.close()
    return { stop, server: url, token, done }
  } catch (err) {
    await stop()
    throw err
  }
}
