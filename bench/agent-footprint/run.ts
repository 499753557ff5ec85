// bench/agent-footprint: what an edge node pays for its agent. One run starts a real server, a bare
// `node` process and, for each variant (an agent entry point and its node flags), three agents side
// by side on their own sites: idle without a gateway, idle with a gateway, and one running 50 process
// instances. It prints RSS and CPU seconds of every process after 30 s and after 5 minutes joined and
// idle, the gateway agent's figures after 1,000 req/s through its gateway for 60 s, the time from
// starting an agent to its Node being Ready (first start with a join, and a restart), and each
// figure's ratio to the bare node process of the same run.
//
//   flock /tmp/bench.lock npx tsx bench/agent-footprint/run.ts \
//     [--variant NAME=ENTRY[,NODE_FLAG...]]... [--idle-seconds 30] [--long-seconds 300] \
//     [--load-seconds 60] [--rate 1000] [--instances 50]
//
// ENTRY is a file under the repository run as `node [NODE_FLAGS] ENTRY agent ...`: bin/edgeplane.js
// (what users run), dist/cli/run.js (the whole CLI, as before the lean entry) or dist/agent/bundle/edgeplane-agent.mjs.
// Default: one variant, bin/edgeplane.js. Needs `npm run build`. Everything binds loopback
// addresses 127.0.8x.1 and free ports; the machine is shared, so CPU figures are noisy (RSS less).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent as HttpAgent, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { adminClient, load, ROOT, sample, sleep, startServerProc, stopServer, until, V1, type ProcSample } from '../lib/server.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def }
const IDLE_S = opt('idle-seconds', 30)
const LONG_S = opt('long-seconds', 300)
const LOAD_S = opt('load-seconds', 60)
const RATE = opt('rate', 1000)
const INSTANCES = opt('instances', 50)
const variants = argv.flatMap((a, i) => (a === '--variant' ? [argv[i + 1]] : [])).map((v) => {
  const name = v.slice(0, v.indexOf('=')), rest = v.slice(v.indexOf('=') + 1)
  const [entry, ...flags] = rest.split(',')
  return { name, entry, flags: flags.filter(Boolean) }
})
if (!variants.length) variants.push({ name: 'bin', entry: 'bin/edgeplane.js', flags: [] })

const dir = mkdtempSync(join(tmpdir(), 'ep-bench-footprint-'))
const procs: ChildProcess[] = []
const MiB = (b: number) => (b / 1048576).toFixed(1)

async function freePort(host: string): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)) }).on('error', rej)
  })
}

interface AgentProc { name: string; node: string; site: string; proc: ChildProcess; startedAt: number; args: string[]; flags: string[]; entry: string; gateway?: string; out: () => string }

function spawnAgent(a: Omit<AgentProc, 'proc' | 'startedAt' | 'out'>): AgentProc {
  const startedAt = performance.now()
  const proc = spawn(process.execPath, [...a.flags, join(ROOT, a.entry), 'agent', ...a.args], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'warn' },
  })
  let out = ''
  proc.stderr!.on('data', (d) => { out = (out + d).slice(-4000) })
  procs.push(proc)
  return { ...a, proc, startedAt, out: () => out }
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 32 })
const nodeReady = (o: any): boolean => o?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false

try {
  const server = await startServerProc({ dataDir: join(dir, 'server'), listen: `127.0.0.1:${await freePort('127.0.0.1')}`, links: 64, compiled: true })
  procs.push(server.proc)
  const { http, ca } = adminClient(server.url, join(dir, 'server'))
  const caFile = join(dir, 'server', 'pki', 'ca.crt')
  void ca
  const joinToken = ((await http.request('POST', '/v1/tokens', { type: 'join', maxUses: 100, gateway: true })) as { token: string }).token
  const getNode = async (name: string) => { try { return await http.request('GET', `${V1}/nodes/${name}`) } catch { return undefined } }

  // The bare process: what any Node.js daemon costs on this machine, the yardstick of every ratio.
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' })
  procs.push(bare)

  const agents: AgentProc[] = []
  let octet = 80
  for (const v of variants) {
    for (const kind of ['idle', 'gateway', 'fifty'] as const) {
      const site = `fp-${v.name}-${kind}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')
      const address = `127.0.${octet++}.1`
      const gateway = kind === 'gateway' ? `${address}:${await freePort(address)}` : undefined
      const args = ['--server', server.url, '--join-token', joinToken, '--site', site, '--name', site, '--address', address,
        '--label', `fp=${site}`, '--data-dir', join(dir, site), ...(gateway ? ['--gateway', gateway] : [])]
      agents.push(spawnAgent({ name: `${v.name}/${kind}`, node: site, site, args, flags: v.flags, entry: v.entry, gateway }))
    }
  }
  const readyMs = new Map<string, number>()
  for (const a of agents) {
    const t = await until(`${a.node} Ready`, async () => { if (a.proc.exitCode !== null) throw new Error(`${a.name} exited: ${a.out()}`); return nodeReady(await getNode(a.node)) }, 240_000, 10)
    readyMs.set(a.name, t - a.startedAt)
  }
  console.log(`joined: ${agents.map((a) => `${a.name} ${Math.round(readyMs.get(a.name)!)} ms`).join(', ')} (all started at once, so these overlap); load ${load()}`)

  // Start to Ready one at a time, on a restart (credential on disk) and on a first join (fresh data dir).
  const startToReady = new Map<string, { restart: number; join: number }>()
  for (const v of variants) {
    const idx = agents.findIndex((a) => a.name === `${v.name}/idle`)
    const times = { restart: 0, join: 0 }
    for (const mode of ['restart', 'join'] as const) {
      const a = agents[idx]
      a.proc.kill('SIGKILL')
      // NotReady first (the node grace), so Ready again is this start's doing.
      await until(`${a.node} NotReady`, async () => !nodeReady(await getNode(a.node)), 60_000, 100)
      const args = mode === 'join' ? a.args.map((x) => (x === join(dir, a.site) ? join(dir, `${a.site}-2`) : x)) : a.args
      if (mode === 'join') await http.request('DELETE', `${V1}/nodes/${a.node}`).catch(() => undefined)
      const b = spawnAgent({ ...a, args })
      agents[idx] = b
      // On a machine too loaded to start it within 3 minutes, the figure is NaN and the run goes on.
      times[mode] = (await until(`${a.node} Ready again`, async () => nodeReady(await getNode(a.node)), 180_000, 5).catch(() => NaN)) - b.startedAt
    }
    startToReady.set(v.name, times)
    console.log(`${v.name}: start to Ready ${Math.round(times.restart)} ms on a restart, ${Math.round(times.join)} ms with a join; load ${load()}`)
  }

  // Work: 50 instances on each "fifty" node, 2 instances behind each gateway.
  for (const v of variants) {
    const site = (k: string) => `fp-${v.name}-${k}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')
    await http.request('PATCH', `/apis/edgeplane.io/v1/namespaces/default/apps/${site('fifty')}?fieldManager=bench`, JSON.stringify({
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: site('fifty') },
      spec: { replicas: INSTANCES, template: { runtime: 'process', command: 'sleep', args: ['100000'], resources: { cpu: '10m', memory: '1Mi' } }, placement: { siteSelector: { matchLabels: { fp: site('fifty') } } } },
    }), undefined, 'application/apply-patch+yaml')
    await http.request('PATCH', `/apis/edgeplane.io/v1/namespaces/default/apps/${site('gateway')}?fieldManager=bench`, JSON.stringify({
      apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: site('gateway') },
      spec: {
        replicas: 2, placement: { siteSelector: { matchLabels: { fp: site('gateway') } } }, traffic: { host: `${site('gateway')}.edge.test`, port: 'http' },
        template: { runtime: 'process', command: process.execPath, args: ['-e', "require('http').createServer((q, s) => s.end('ok')).listen(+process.env.PORT, process.env.HOST)"], ports: [{ name: 'http' }], readiness: { tcp: { port: 'http' }, periodSeconds: 1 } },
      },
    }), undefined, 'application/apply-patch+yaml')
  }
  const readyInstances = async (node: string) => {
    const l = (await http.request('GET', `${V1}/namespaces/default/instances?fieldSelector=spec.node=${node}`)) as { items: any[] }
    return l.items.filter((i) => i.status?.ready).length
  }
  for (const a of agents) {
    if (a.name.endsWith('/fifty')) await until(`${INSTANCES} instances on ${a.node}`, async () => (await readyInstances(a.node)) >= INSTANCES, 120_000, 500)
    if (a.name.endsWith('/gateway')) await until(`2 instances on ${a.node}`, async () => (await readyInstances(a.node)) >= 2, 120_000, 500)
  }
  // The gateway answers once its routes arrived.
  for (const a of agents.filter((x) => x.gateway)) {
    await until(`${a.node}'s gateway routes`, async () => (await get(a.gateway!, `${a.site}.edge.test`)) === 200, 30_000, 200)
  }
  const tWork = performance.now()
  console.log(`work placed; load ${load()}`)

  const all = () => [{ name: 'bare node', pid: bare.pid! }, ...agents.map((a) => ({ name: a.name, pid: a.proc.pid! }))]
  const snap = () => new Map(all().map((p) => [p.name, sample(p.pid)]))
  const t0 = snap()
  await sleep(Math.max(0, IDLE_S * 1000 - (performance.now() - tWork)))
  const t30 = snap()
  console.log(`after ${IDLE_S} s: load ${load()}`)
  await sleep((LONG_S - IDLE_S) * 1000)
  const t300 = snap()
  console.log(`after ${LONG_S} s: load ${load()}`)

  // 1,000 req/s through each gateway for 60 s (open loop, keep-alive connections).
  const loadRes = new Map<string, { before: ProcSample; after: ProcSample; ok: number; failed: number; sent: number }>()
  for (const a of agents.filter((x) => x.gateway)) {
    const before = sample(a.proc.pid!)
    const r = await drive(a.gateway!, `${a.site}.edge.test`, RATE, LOAD_S)
    loadRes.set(a.name, { before, after: sample(a.proc.pid!), ...r })
    console.log(`${a.name}: ${r.sent} requests in ${LOAD_S} s, ${r.ok} ok, ${r.failed} failed; load ${load()}`)
  }

  const bareAt = (s: Map<string, ProcSample>) => s.get('bare node')!.rss
  const row = (name: string) => {
    const a = t30.get(name)!, b = t300.get(name)!
    const cpuPerHour = ((b.cpuMs - a.cpuMs) / (b.at - a.at)) * 3600 * 1000
    return {
      name,
      rss30: MiB(a.rss), ratio30: (a.rss / bareAt(t30)).toFixed(2),
      rss300: MiB(b.rss), ratio300: (b.rss / bareAt(t300)).toFixed(2),
      cpu30: (a.cpuMs / 1000).toFixed(2), cpu300: (b.cpuMs / 1000).toFixed(2), idleCpuSPerHour: (cpuPerHour / 1000).toFixed(2),
      hwm: MiB(b.hwm),
    }
  }
  const rows = all().map((p) => row(p.name))
  console.log('\nprocess            | RSS 30 s (×bare) | RSS 5 min (×bare) | CPU s at 30 s / 5 min | idle CPU s/hour | peak RSS')
  for (const r of rows) console.log(`${r.name.padEnd(18)} | ${r.rss30.padStart(6)} MiB (${r.ratio30}) | ${r.rss300.padStart(6)} MiB (${r.ratio300}) | ${r.cpu30} / ${r.cpu300} | ${r.idleCpuSPerHour} | ${r.hwm} MiB`)
  for (const [name, r] of loadRes) {
    const cpu = (r.after.cpuMs - r.before.cpuMs) / 1000
    console.log(`${name} under ${RATE} req/s for ${LOAD_S} s: RSS ${MiB(r.after.rss)} MiB (×${(r.after.rss / sample(bare.pid!).rss).toFixed(2)} bare), peak ${MiB(r.after.hwm)} MiB, CPU ${cpu.toFixed(1)} s (${((100 * cpu) / LOAD_S).toFixed(0)}% of a core), ${r.ok}/${r.sent} ok`)
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), variants, idleSeconds: IDLE_S, longSeconds: LONG_S, rows, startToReady: Object.fromEntries(startToReady), load: Object.fromEntries([...loadRes].map(([k, r]) => [k, { rssMiB: MiB(r.after.rss), cpuS: ((r.after.cpuMs - r.before.cpuMs) / 1000).toFixed(1), ok: r.ok, sent: r.sent }])) }))
  void t0
  await stopServer(server.proc, false)
} finally {
  for (const p of procs) { try { p.kill('SIGKILL') } catch { /* gone */ } }
  // Instances run in their own process groups: end every process whose environment names a bench node.
  await killInstances()
  rmSync(dir, { recursive: true, force: true })
}


function get(gateway: string, host: string): Promise<number> {
  const [h, p] = [gateway.slice(0, gateway.lastIndexOf(':')), Number(gateway.slice(gateway.lastIndexOf(':') + 1))]
  return new Promise((res) => {
    const req = request({ host: h, port: p, path: '/', headers: { host }, agent: keepAlive }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)) })
    req.on('error', () => res(0))
    req.end()
  })
}

/** Open loop: RATE requests a second in 10 ms batches, whatever the answers do. */
async function drive(gateway: string, host: string, rate: number, seconds: number): Promise<{ ok: number; failed: number; sent: number }> {
  let ok = 0, failed = 0, sent = 0
  const start = performance.now()
  const pending: Promise<void>[] = []
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate)
    for (; sent < due; sent++) pending.push(get(gateway, host).then((s) => { if (s === 200) ok++; else failed++ }))
    if (pending.length > 5000) pending.splice(0, pending.length - 5000)
    await sleep(10)
  }
  await Promise.all(pending)
  return { ok, failed, sent }
}

async function killInstances(): Promise<void> {
  const { readdirSync, readFileSync } = await import('node:fs')
  const nodes = variants.flatMap((v) => ['idle', 'gateway', 'fifty'].map((k) => `fp-${v.name}-${k}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')))
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (nodes.some((n) => env.includes(`\0EDGEPLANE_NODE=${n}\0`))) process.kill(-Number(pid), 'SIGKILL')
    } catch { /* gone or not ours */ }
  }
}
