// What loading costs an agent: RSS (anonymous and file-backed) and time of a fresh node process that
// only loads one thing — each dependency the agent used to load, and each agent entry point (up to
// `agent --help`, everything loaded, nothing started). Each figure is the median of --runs processes.
//
//   npx tsx bench/agent-footprint/loads.ts [--runs 3]      (after npm run build)
import { spawnSync } from 'node:child_process'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../lib/server.js'

const argv = process.argv.slice(2)
const RUNS = Number(argv[argv.indexOf('--runs') + 1] || 3)
const dir = mkdtempSync(join(tmpdir(), 'ep-loads-'))
// Printed at exit: what /proc says about this process once everything it loaded is in.
const probe = join(dir, 'probe.cjs')
writeFileSync(probe, `const t0 = performance.now()
process.on('exit', () => {
  const s = require('fs').readFileSync('/proc/self/status', 'utf8')
  const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(s)[1])
  process.stderr.write('\\nPROBE ' + JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), ms: performance.now() - t0, heap: process.memoryUsage().heapUsed }) + '\\n')
})`)

const cases: [string, string[]][] = [
  ['bare node', ['-e', '0']],
  ...['ws', 'undici', 'pino', 'prom-client', 'yaml', 'commander', 'typebox', 'typebox/compile'].map((m): [string, string[]] => [m, ['--input-type=module', '-e', `await import(${JSON.stringify(m)})`]]),
  ['whole CLI: dist/cli/run.js agent --help', [join(ROOT, 'dist/cli/run.js'), 'agent', '--help']],
  ['lean entry: dist/cli/agent-run.js agent --help', [join(ROOT, 'dist/cli/agent-run.js'), 'agent', '--help']],
  ['bundle: dist/edgeplane-agent.mjs agent --help', [join(ROOT, 'dist/edgeplane-agent.mjs'), 'agent', '--help']],
]

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log('what is loaded                                   | RSS MiB | anon | file | load ms')
for (const [name, args] of cases) {
  const runs = Array.from({ length: RUNS }, () => {
    const r = spawnSync(process.execPath, ['-r', probe, ...args], { cwd: ROOT, encoding: 'utf8' })
    const m = /PROBE (.*)/.exec(r.stderr)
    if (!m) throw new Error(`${name}: ${r.stderr}`)
    return JSON.parse(m[1]) as { rss: number; anon: number; file: number; ms: number }
  })
  const f = (k: 'rss' | 'anon' | 'file') => (med(runs.map((x) => x[k])) / 1024).toFixed(1)
  console.log(`${name.padEnd(48)} | ${f('rss').padStart(7)} | ${f('anon').padStart(4)} | ${f('file').padStart(4)} | ${Math.round(med(runs.map((x) => x.ms)))}`)
}
rmSync(dir, { recursive: true, force: true })
