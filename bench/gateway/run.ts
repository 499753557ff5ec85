// bench/gateway: wrk requests/s and latency directly against a node upstream, through nginx as a
// reverse proxy (1 worker, and auto = one per core), and through our SiteGateway (one process);
// the p99 latency each proxy adds over direct, and the ratio ours / nginx.
//
//   npx tsx bench/gateway/run.ts [--seconds 15] [--connections 64] [--threads 2] [--rounds 1] [--no-nginx-auto] [--tsx]
//
// The gateway runs as compiled JavaScript, as the agent does in production (`tsc` compiles
// bench/gateway/serve.ts and what it imports into node_modules/.cache/); --tsx runs the sources
// through tsx instead.
//
// With --rounds N the targets are measured N times in turn (the machine is shared: interleaving keeps
// one noisy moment from favouring one target). Comparisons are made within a round; the figures
// shown are those of the quietest round (the one where direct was fastest), and the per-round
// ratios with their median are in the JSON line. Besides wrk's figures, the CPU time each proxy
// process used per request is reported: it depends less on what else runs than requests/s does.
//
// Peers come from /work/shared/bench-peers (node-ok.js upstream, nginx.sh: installs nginx and wrk
// from Debian's packages when missing). Everything binds 127.0.0.1; load generator, proxies and the
// upstream share the machine's cores, so figures are indicative.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { wrk, type WrkResult } from './wrk.js'

const args = process.argv.slice(2)
const opt = (name: string, def: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def }
const SECONDS = opt('seconds', 15)
const CONNECTIONS = opt('connections', 64)
const THREADS = opt('threads', 2)
const ROUNDS = Math.max(1, opt('rounds', 1))
const NGINX_AUTO = !args.includes('--no-nginx-auto')
const VIA_TSX = args.includes('--tsx')
const HOST = 'bench.edge.test'
const ROOT = resolve(import.meta.dirname, '..', '..')
const PEERS = process.env.BENCH_PEERS ?? '/work/shared/bench-peers'

const dir = mkdtempSync(join(tmpdir(), 'ep-bench-gw-'))
const procs: ChildProcess[] = []
const pids: number[] = []

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => res(p))
    }).on('error', rej)
  })
}

async function waitPort(port: number, ms = 10_000): Promise<void> {
  const { connect } = await import('node:net')
  const end = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1').once('connect', () => { c.destroy(); r(true) }).once('error', () => r(false))
    })
    if (ok) return
    if (Date.now() > end) throw new Error(`port ${port} did not open`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function ensureTools(): void {
  const has = (cmd: string) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true } catch { return false } }
  const missing = ['wrk', 'nginx'].filter((c) => !has(c))
  if (missing.length) {
    console.error(`installing ${missing.join(', ')} from Debian's packages…`)
    execFileSync('sh', ['-c', `apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${missing.map((m) => (m === 'nginx' ? 'nginx-light' : m)).join(' ')} >/dev/null`], { stdio: 'inherit' })
  }
}

function startNginx(upPort: number, port: number, workers: string): number {
  const out = execFileSync('bash', [join(PEERS, 'nginx.sh'), join(dir, `nginx-${workers}`), String(upPort), String(port), workers], { encoding: 'utf8' })
  const pid = Number(out.trim().split('\n').pop())
  pids.push(pid)
  return pid
}

/** Compiles serve.ts and its imports with tsc; returns the entry's path. */
function compileGateway(): string {
  const out = join(ROOT, 'node_modules/.cache/edgeplane-bench-gateway')
  rmSync(out, { recursive: true, force: true })
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), join(ROOT, 'bench/gateway/serve.ts'), '--outDir', out, '--rootDir', ROOT,
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node'], { cwd: ROOT, stdio: 'inherit' })
  return join(out, 'bench/gateway/serve.js')
}

async function startGateway(upPort: number, port: number): Promise<ChildProcess> {
  const entry = VIA_TSX ? ['--import', 'tsx', join(ROOT, 'bench/gateway/serve.ts')] : [compileGateway()]
  // BENCH_GATEWAY_NODE_ARGS: node flags for the gateway process (the agent's memory settings, bench/agent-footprint).
  const nodeArgs = process.env.BENCH_GATEWAY_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []
  const p = spawn(process.execPath, [...nodeArgs, ...entry, `127.0.0.1:${port}`, `127.0.0.1:${upPort}`, HOST],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  procs.push(p)
  await new Promise<void>((res, rej) => {
    let out = ''
    p.stdout!.on('data', (d) => { out += d; if (out.includes('listening')) res() })
    p.once('exit', (c) => rej(new Error(`gateway exited ${c}`)))
  })
  return p
}

/** CPU seconds (user + system) of a process and its children processes (nginx workers). */
function cpuSeconds(pid: number): number {
  const tick = 100
  const one = (p: number) => {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
      return (Number(fields[11]) + Number(fields[12])) / tick
    } catch { return 0 }
  }
  let kids: number[] = []
  try { kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number) } catch { /* none */ }
  return one(pid) + kids.reduce((s, k) => s + one(k), 0)
}

interface Row extends WrkResult { target: string; cpuPct?: number; cpuUsPerReq?: number; addedP99Ms?: number }

async function measure(target: string, port: number, pid?: number, warm = true): Promise<Row> {
  const url = `http://127.0.0.1:${port}/`
  if (warm) await wrk(url, { threads: THREADS, connections: CONNECTIONS, seconds: Math.min(3, SECONDS), host: HOST }) // JIT, pools
  const c0 = pid ? cpuSeconds(pid) : 0
  const r = await wrk(url, { threads: THREADS, connections: CONNECTIONS, seconds: SECONDS, host: HOST })
  const row: Row = { target, ...r }
  if (pid) {
    const used = cpuSeconds(pid) - c0
    row.cpuPct = Math.round((used / SECONDS) * 100)
    row.cpuUsPerReq = Math.round((used * 1e6) / Math.max(1, r.requests))
  }
  console.error(`${target.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50Ms.toFixed(2)} ms   p99 ${r.p99Ms.toFixed(2)} ms   errors ${r.errors}` +
    (pid ? `   proxy cpu ${row.cpuPct}%, ${row.cpuUsPerReq} µs/req` : ''))
  return row
}

/** Each target measured ROUNDS times in turn; one list of rows per round. */
async function measureRounds(targets: { name: string; port: number; pid?: number }[]): Promise<Row[][]> {
  const rounds: Row[][] = []
  for (let round = 0; round < ROUNDS; round++) {
    if (ROUNDS > 1) console.error(`-- round ${round + 1}/${ROUNDS}`)
    const rows: Row[] = []
    for (const t of targets) rows.push(await measure(t.name, t.port, t.pid, round === 0))
    for (const r of rows.slice(1)) r.addedP99Ms = round2(r.p99Ms - rows[0].p99Ms)
    rounds.push(rows)
  }
  return rounds
}

async function main(): Promise<void> {
  ensureTools()
  const [upPort, ngPort, ngAutoPort, gwPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const upstream = spawn(process.execPath, [join(PEERS, 'node-ok.js'), String(upPort)], { stdio: 'ignore' })
  procs.push(upstream)
  await waitPort(upPort)
  const ngPid = startNginx(upPort, ngPort, '1')
  const ngAutoPid = NGINX_AUTO ? startNginx(upPort, ngAutoPort, 'auto') : undefined
  const gw = await startGateway(upPort, gwPort)
  console.error(`bench/gateway: wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s --latency, ${cpus().length} cores, node ${process.version}, gateway ${VIA_TSX ? 'via tsx' : 'compiled'}`)

  const targets = [
    { name: 'direct', port: upPort },
    { name: 'nginx (1 worker)', port: ngPort, pid: ngPid },
    ...(ngAutoPid ? [{ name: 'nginx (auto workers)', port: ngAutoPort, pid: ngAutoPid }] : []),
    { name: 'edgeplane gateway', port: gwPort, pid: gw.pid },
  ]
  const rounds = await measureRounds(targets)
  // Within each round: ours vs nginx (1 worker). Figures shown: the quietest round.
  const perRound = rounds.map((rows) => {
    const [direct, ng] = rows
    const ours = rows[rows.length - 1]
    return {
      directRps: Math.round(direct.rps),
      ratioRps: round2(ours.rps / ng.rps),
      ratioCpuPerReq: ours.cpuUsPerReq && ng.cpuUsPerReq ? round2(ours.cpuUsPerReq / ng.cpuUsPerReq) : undefined,
      addedP99Ms: { nginx: ng.addedP99Ms, ours: ours.addedP99Ms },
    }
  })
  const q = perRound.reduce((best, r, i) => (r.directRps > perRound[best].directRps ? i : best), 0)
  const rows = rounds[q]
  const ng = rows[1]
  const ours = rows[rows.length - 1]
  const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[v.length >> 1] : round2((v[v.length / 2 - 1] + v[v.length / 2]) / 2) }
  const summary = {
    bench: 'gateway', seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, threads: THREADS, cores: cpus().length, node: process.version,
    gateway: VIA_TSX ? 'tsx' : 'compiled', loadAvg1m: Math.round(loadavg()[0] * 100) / 100, quietestRound: q + 1,
    direct: pick(rows[0]), nginx: pick(ng), ...(ngAutoPid ? { nginxAuto: pick(rows[2]) } : {}), ours: pick(ours),
    ratioRpsOursToNginx: perRound[q].ratioRps,
    ...(perRound[q].ratioCpuPerReq !== undefined ? { ratioCpuPerReqOursToNginx: perRound[q].ratioCpuPerReq } : {}),
    addedP99Ms: perRound[q].addedP99Ms,
    ...(ROUNDS > 1 ? {
      medianRatioRpsOursToNginx: median(perRound.map((r) => r.ratioRps)),
      medianRatioCpuPerReqOursToNginx: median(perRound.flatMap((r) => (r.ratioCpuPerReq === undefined ? [] : [r.ratioCpuPerReq]))),
      perRound,
    } : {}),
  }
  console.error(`${ROUNDS > 1 ? `quietest round ${q + 1}: ` : ''}added p99 vs direct: nginx ${ng.addedP99Ms} ms, ours ${ours.addedP99Ms} ms; ` +
    `ours/nginx(1 worker): throughput ${summary.ratioRpsOursToNginx}, cpu per request ${summary.ratioCpuPerReqOursToNginx ?? '-'}` +
    (ROUNDS > 1 ? `; median over rounds: throughput ${summary.medianRatioRpsOursToNginx}, cpu per request ${summary.medianRatioCpuPerReqOursToNginx}` : ''))
  console.log(JSON.stringify(summary))
}

function pick(r: Row) {
  return {
    rps: Math.round(r.rps), p50Ms: round2(r.p50Ms), p99Ms: round2(r.p99Ms), errors: r.errors,
    ...(r.cpuPct !== undefined ? { cpuPct: r.cpuPct, cpuUsPerReq: r.cpuUsPerReq } : {}),
    ...(r.addedP99Ms !== undefined ? { addedP99Ms: r.addedP99Ms } : {}),
  }
}
function round2(x: number): number { return Math.round(x * 100) / 100 }

function cleanup(): void {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM')
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM') } catch { /* gone */ } }
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
  rmSync(join(ROOT, 'node_modules/.cache/edgeplane-bench-gateway'), { recursive: true, force: true })
}

process.on('SIGINT', () => { cleanup(); process.exit(130) })
main().then(() => cleanup(), (err) => { console.error(err); cleanup(); process.exitCode = 1 })
