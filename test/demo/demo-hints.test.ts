// The demo's hints are true: a real `npm run demo` prints README's sample (up to its own ports and
// paths), and every command it suggests runs as printed and answers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { commandsIn } from '../../src/demo/hints.js'
import { demoPorts, fleet, gone, readmeSample, ROOT, startDemo, waitForOutput, type Demo } from './demo-helpers.js'

const run = promisify(execFile)
const has = (tool: string) => { try { execFileSync('sh', ['-c', `command -v ${tool}`]); return true } catch { return false } }

test('the demo prints README\'s sample, and each command it suggests runs', async (t) => {
  const missing = ['dig', 'curl'].filter((x) => !has(x))
  if (missing.length) {
    if (process.env.CI === 'true') assert.fail(`${missing.join(', ')} missing (CI installs dnsutils and curl: .ci/run)`)
    t.skip(`${missing.join(', ')} not installed`)
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'ep-hints-'))
  const ports = await demoPorts()
  let d: Demo | undefined
  t.after(async () => {
    if (d?.npm.pid) try { process.kill(-d.npm.pid, 'SIGTERM') } catch { /* gone */ }
    try { const f = fleet(dir); await gone([f.demo, ...f.children, ...f.instances], 15_000) } catch { /* none */ }
    rmSync(dir, { recursive: true, force: true })
  })
  d = startDemo(dir, ports)
  await waitForOutput(d, /Ctrl-C stops everything/, 150_000)
  const printed = d.output().trimEnd().split('\n')
  // This run's own ports and paths, back to the defaults README shows.
  const asDefault = printed.map((l) => l
    .split(join(dir, 'demo')).join('.edgeplane-demo')
    .split(join(dir, 'config.json')).join('~/.edgeplane/config.json')
    .replace(`127.0.0.1:${ports.api}`, '127.0.0.1:7420')
    .replace(`-p ${ports.dns} `, '-p 5353 ')
    .replace(`:${ports.gateway}/`, ':8080/')
    .replace(/(curl http:\/\/127\.0\.[14]\.1:)\d+\//, '$1' + '30000/'))
  assert.deepEqual(asDefault, readmeSample(), 'README\'s sample is what the demo prints')

  const commands = commandsIn(printed)
  assert.ok(commands.length >= 8, `the suggested commands: ${commands.join(' | ')}`)
  const env = { ...process.env, EDGEPLANE_CONFIG: join(dir, 'config.json') }
  for (const c of commands) {
    const { stdout } = await run('bash', ['-c', c], { cwd: ROOT, env, timeout: 120_000 }).catch((e) => assert.fail(`"${c}" failed: ${e.stderr || e.message}`))
    assert.ok(stdout.trim().length > 0, `"${c}" answers`)
    if (c.startsWith('dig')) assert.match(stdout, /^127\.0\.\d+\.1$/m, `${c}: a site's gateway address`)
    if (c.startsWith('curl')) assert.match(stdout, /"hello":"from the edge"/, `${c}: the hello app answers`)
    if (c.includes('session create')) assert.match(stdout, /tokyo/, `${c}: a session in Tokyo`)
    if (c.includes('rollout status')) assert.match(stdout, /unchanged/, `${c}: applying the same file changes nothing`)
  }
})
