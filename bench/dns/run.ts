// bench/dns: queries/s and latency of our authoritative DNS against PowerDNS Authoritative (Debian's
// pdns-server, LUA record with pickclosest) on this machine: same zone, same answers, same dnsperf.
//
//   npx tsx bench/dns/run.ts [--seconds 15] [--rate 1500] [--peers /work/shared/bench-peers]
//
// Cases: `static` (plain A, no ECS) and `web` (geo answer, ECS 198.51.100.0/24), each saturated
// (dnsperf -c 4, as many queries as the server takes) and at a fixed moderate rate (-Q) to compare
// unsaturated latency. dnsperf runs through the peer's powerdns-bench.sh for both servers so the flags
// are identical. dnsperf, PowerDNS and our server share the machine's cores: read the figures as
// relative, not absolute.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { decode, encode } from 'dns-packet'

const args = process.argv.slice(2)
const opt = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def }
const SECONDS = Number(opt('seconds', '15'))
const RATE = Number(opt('rate', '1500'))
const WARMUP = 3
const PEERS = opt('peers', process.env.EDGEPLANE_BENCH_PEERS ?? '/work/shared/bench-peers')
const ROOT = resolve(import.meta.dirname, '..', '..')
const ECS_NET = '198.51.100.0/24'
const CLK_TCK = 100 // Linux USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

interface Target { name: 'edgeplane' | 'PowerDNS'; port: number; pid: number }
interface Figures { qps: number; avgMs: number; p50Ms: number; p99Ms: number; completed: number; lost: number; rcodes: string; cpuPct: number }
interface Case { label: string; name: string; ecs?: string; rate?: number }

const dir = mkdtempSync(join(tmpdir(), 'ep-bench-dns-'))
let ours: ChildProcess | undefined
let pdnsPid: number | undefined

function cleanup(): void {
  if (ours && ours.exitCode === null) ours.kill('SIGTERM')
  if (pdnsPid) try { process.kill(pdnsPid, 'SIGTERM') } catch { /* already gone */ }
  rmSync(dir, { recursive: true, force: true })
}
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))

/** A port free for both UDP and TCP right now (a bound-then-closed UDP port; retried by the caller's bind). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
  const { port } = s.address()
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

function startOurs(): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/dns/serve.ts'), '--listen', '127.0.0.1:0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'warn' } })
  return new Promise((res, rej) => {
    let out = ''
    proc.stdout!.on('data', (d) => {
      out += d
      const m = /listening (\d+)/.exec(out)
      if (m) res({ port: Number(m[1]), proc })
    })
    proc.once('exit', (c) => rej(new Error(`edgeplane DNS exited ${c}: ${out}`)))
  })
}

function startPowerDns(port: number): number {
  // powerdns.sh installs pdns-server, its backends, dnsperf and dig from Debian when missing.
  const out = execFileSync('bash', [join(PEERS, 'powerdns.sh'), join(dir, 'pdns'), String(port)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  const pid = Number(out.trim().split('\n').at(-1))
  if (!Number.isInteger(pid)) throw new Error(`powerdns.sh printed no pid: ${out}`)
  return pid
}

/** One query over UDP with dns-packet: the addresses answered. */
async function ask(port: number, name: string, subnet?: string): Promise<string[]> {
  const s = createSocket('udp4')
  const [ip, len] = subnet?.split('/') ?? []
  const q = encode({ id: 1, type: 'query', questions: [{ name, type: 'A' }], additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false,
    options: subnet ? [{ code: 8, family: 1, sourcePrefixLength: Number(len), scopePrefixLength: 0, ip }] : [] }] })
  try {
    const reply = await new Promise<Buffer>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no answer from port ${port}`)), 3000)
      s.once('message', (m) => { clearTimeout(timer); res(m) })
      s.send(q, port, '127.0.0.1')
    })
    return (decode(reply).answers ?? []).map((a) => String((a as { data?: unknown }).data))
  } finally {
    s.close()
  }
}

function cpuTicks(pid: number): number {
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

function dnsperf(t: Target, c: Case, seconds: number): Figures {
  const argv = [join(PEERS, 'powerdns-bench.sh'), String(t.port), c.name, String(seconds), c.ecs ?? '', c.rate ? String(c.rate) : '']
  const ticks0 = cpuTicks(t.pid)
  const t0 = performance.now()
  const out = execFileSync('bash', argv, { encoding: 'utf8' })
  const wall = (performance.now() - t0) / 1000
  const cpuPct = ((cpuTicks(t.pid) - ticks0) / CLK_TCK / wall) * 100
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN)
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    p50Ms: num(/p50 ([\d.]+) ms/),
    p99Ms: num(/p99 ([\d.]+) ms/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    rcodes: /Response codes:\s+(.*)/.exec(out)?.[1].trim() ?? '',
    cpuPct,
  }
}

const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a')
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN)

async function main(): Promise<void> {
  const pdnsPort = await freePort()
  pdnsPid = startPowerDns(pdnsPort)
  const started = await startOurs()
  ours = started.proc
  const targets: Target[] = [
    { name: 'edgeplane', port: started.port, pid: ours.pid! },
    { name: 'PowerDNS', port: pdnsPort, pid: pdnsPid },
  ]

  // Same questions, same answers: otherwise the comparison means nothing.
  for (const [name, subnet] of [['static.edge.test'], ['web.edge.test', '127.0.0.0/24'], ['web.edge.test', '192.0.2.0/24'], ['web.edge.test', ECS_NET], ['web.edge.test', '203.0.113.0/24']] as const) {
    const [a, b] = await Promise.all(targets.map((t) => ask(t.port, name, subnet)))
    if (a.join() !== b.join() || !a.length) throw new Error(`answers differ for ${name} ${subnet ?? ''}: edgeplane ${a}, PowerDNS ${b}`)
  }

  const cases: Case[] = [
    { label: 'static A, no ECS, saturated', name: 'static.edge.test' },
    { label: `geo A, ECS ${ECS_NET}, saturated`, name: 'web.edge.test', ecs: ECS_NET },
    { label: `static A, no ECS, ${RATE} q/s`, name: 'static.edge.test', rate: RATE },
    { label: `geo A, ECS ${ECS_NET}, ${RATE} q/s`, name: 'web.edge.test', ecs: ECS_NET, rate: RATE },
  ]
  for (const t of targets) for (const c of cases.slice(0, 2)) dnsperf(t, c, WARMUP) // warm JIT and caches

  const results: Array<{ case: Case; figures: Record<Target['name'], Figures> }> = []
  for (const c of cases) {
    const figures = {} as Record<Target['name'], Figures>
    for (const t of targets) {
      figures[t.name] = dnsperf(t, c, SECONDS)
      process.stderr.write(`${c.label} · ${t.name}: ${fmt(figures[t.name].qps, 0)} q/s\n`)
    }
    results.push({ case: c, figures })
  }

  const rows: string[][] = [['case', 'server', 'QPS', 'avg ms', 'p50 ms', 'p99 ms', 'lost', 'server CPU %']]
  for (const r of results) {
    const e = r.figures.edgeplane, p = r.figures.PowerDNS
    for (const [n, f] of [['edgeplane', e], ['PowerDNS', p]] as const) {
      rows.push([n === 'edgeplane' ? r.case.label : '', n, fmt(f.qps, 0), fmt(f.avgMs, 3), fmt(f.p50Ms, 3), fmt(f.p99Ms, 3), `${f.lost}/${f.completed + f.lost}`, fmt(f.cpuPct, 0)])
    }
    rows.push(['', 'ratio edgeplane/PowerDNS', `${fmt(ratio(e.qps, p.qps))}x`, `${fmt(ratio(e.avgMs, p.avgMs))}x`, `${fmt(ratio(e.p50Ms, p.p50Ms))}x`, `${fmt(ratio(e.p99Ms, p.p99Ms))}x`, '', ''])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const line = (r: string[]) => `| ${r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`
  console.log(`\nDNS: edgeplane vs PowerDNS ${pdnsVersion()} · dnsperf -c 4 · ${SECONDS} s per run · ${cpus().length} cores shared by dnsperf and the server\n`)
  console.log(line(rows[0]))
  console.log(`|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`)
  for (const r of rows.slice(1)) console.log(line(r))
  console.log(JSON.stringify({
    bench: 'dns', seconds: SECONDS, rate: RATE, cores: cpus().length,
    results: results.map((r) => ({
      case: r.case.label, name: r.case.name, ecs: r.case.ecs ?? null, maxQps: r.case.rate ?? null,
      edgeplane: r.figures.edgeplane, powerdns: r.figures.PowerDNS,
      ratio: { qps: ratio(r.figures.edgeplane.qps, r.figures.PowerDNS.qps), p50: ratio(r.figures.edgeplane.p50Ms, r.figures.PowerDNS.p50Ms), p99: ratio(r.figures.edgeplane.p99Ms, r.figures.PowerDNS.p99Ms) },
    })),
  }))
}

function pdnsVersion(): string {
  try {
    return /(\d+\.\d+\.\d+)/.exec(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'pdns-server'], { encoding: 'utf8' }))?.[1] ?? ''
  } catch {
    return ''
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err)
  process.exit(1)
})
