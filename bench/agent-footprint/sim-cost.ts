// The hollow-site simulator's cost per site (it shares the agent's link client and desired-document
// code): for each build given, a fresh server and `edgeplane sim --sites N` from that build; once every
// node is connected, its RSS and CPU after a quiet minute, per site.
//
//   flock /tmp/bench.lock npx tsx bench/agent-footprint/sim-cost.ts [--sites 1000] [--idle-seconds 60] \
//     --build NAME=DIST_CLI_RUN_JS ...        (e.g. --build after=dist/cli/run.js)
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminClient, load, MiB, ROOT, sample, sleep, startServerProc, stopServer, until } from '../lib/server.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def }
const SITES = opt('sites', 1000)
const IDLE_S = opt('idle-seconds', 60)
const builds = argv.flatMap((a, i) => (a === '--build' ? [argv[i + 1]] : [])).map((b) => ({ name: b.slice(0, b.indexOf('=')), entry: b.slice(b.indexOf('=') + 1) }))
if (!builds.length) builds.push({ name: 'this', entry: 'dist/cli/run.js' })

const freePort = (): Promise<number> => new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)) }) })

for (const b of builds) {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-simcost-'))
  const server = await startServerProc({ dataDir: join(dir, 'server'), listen: `127.0.0.1:${await freePort()}`, links: SITES, compiled: true })
  try {
    const { http } = adminClient(server.url, join(dir, 'server'))
    const token = ((await http.request('POST', '/v1/tokens', { type: 'join', maxUses: SITES })) as { token: string }).token
    const t0 = performance.now()
    const sim = spawn(process.execPath, [join(ROOT, b.entry), 'sim', '--server', server.url, '--join-token', token, '--sites', String(SITES), '--data-dir', join(dir, 'sim'), '--summary-seconds', '3600'],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'error' } })
    let out = ''
    sim.stdout!.on('data', (d) => { out += d })
    sim.stderr!.on('data', (d) => { out += d })
    try {
      await until('every node connected', () => /all \d+ nodes connected/.test(out) || (sim.exitCode !== null ? Promise.reject(new Error(out)) : false), 600_000, 200)
      const connectS = (performance.now() - t0) / 1000
      const a = sample(sim.pid!)
      await sleep(IDLE_S * 1000)
      const c = sample(sim.pid!)
      const idleCpuPct = (100 * (c.cpuMs - a.cpuMs)) / (c.at - a.at)
      console.log(`${b.name}: ${SITES} sites connected in ${connectS.toFixed(1)} s, CPU to connect ${(a.cpuMs / 1000).toFixed(1)} s (${(a.cpuMs / SITES).toFixed(1)} ms per site); after ${IDLE_S} s: RSS ${MiB(c.rss)} MiB (${((c.rss / SITES) / 1024).toFixed(0)} KiB per site), idle CPU ${idleCpuPct.toFixed(1)}% (${((c.cpuMs - a.cpuMs) / SITES / IDLE_S * 3600 / 1000).toFixed(2)} s per site per hour); load ${load()}`)
    } finally {
      sim.kill('SIGKILL')
    }
  } finally {
    await stopServer(server.proc, false)
    rmSync(dir, { recursive: true, force: true })
  }
}
