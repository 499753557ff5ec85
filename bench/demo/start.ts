// Time from `npm run demo` to its ready line ("Ctrl-C stops everything…"), with where the time
// goes: until the demo process itself runs (npm + Node + the CLI's modules), until the server
// writes its first log line (its process and modules), and from there to ready (agents join, nodes
// Ready, hello's instances start and pass readiness). Runs the demo on its default ports: run it
// under `flock /tmp/demo.lock`, never beside another demo.
//   npx tsx bench/demo/start.ts [--runs 3] [--root DIR]   (DIR: another checkout, e.g. to compare)
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, root: { type: 'string', default: resolve(import.meta.dirname, '..', '..') } } })
const root = resolve(values.root!)

async function once(): Promise<{ total: number; demoUp: number; serverUp: number; rest: number }> {
  const t0 = Date.now()
  const npm = spawn('npm', ['run', '--silent', 'demo'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  npm.stdout!.on('data', (d) => { out += d })
  npm.stderr!.on('data', (d) => { out += d })
  const deadline = t0 + 180_000
  while (!out.includes('Ctrl-C stops everything')) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not get ready: ${out}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  const total = Date.now() - t0
  const data = join(root, '.edgeplane-demo')
  // The demo wipes and re-creates its data dir first thing: that is when its own code runs.
  const demoUp = statSync(join(data, 'logs')).birthtimeMs || statSync(join(data, 'logs')).ctimeMs
  const first = /"time":(\d+)/.exec(readFileSync(join(data, 'logs', 'server.log'), 'utf8'))
  const serverUp = first ? Number(first[1]) : NaN
  const exited = new Promise((r) => npm.once('exit', r))
  npm.kill('SIGTERM')
  await exited
  // The fleet stops within a few seconds; let it, so the next run finds its ports free.
  await new Promise((r) => setTimeout(r, 5000))
  return { total, demoUp: demoUp - t0, serverUp: serverUp - demoUp, rest: t0 + total - serverUp }
}

const runs = Number(values.runs)
console.log(`demo start-up, ${runs} run(s), from ${root}`)
for (let i = 0; i < runs; i++) {
  const r = await once()
  const s = (ms: number) => (ms / 1000).toFixed(1)
  console.log(`run ${i + 1}: ready line after ${s(r.total)} s = demo running ${s(r.demoUp)} s + server's first log ${s(r.serverUp)} s + to ready ${s(r.rest)} s`)
}
