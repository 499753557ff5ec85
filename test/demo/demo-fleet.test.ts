// The demo owns its fleet: whichever way `npm run demo` goes (SIGTERM, SIGHUP, its terminal closing,
// npm or the demo itself SIGKILLed), the server, agents and instances it started stop within a few
// seconds, and the next demo starts right after. A port already taken is named with its holder's pid.
// Real processes: npm, the demo, a server, five agents and their instances. The first run also
// checks the demo's hints: it prints README's sample, and every command it suggests runs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { commandsIn } from '../../src/demo/hints.js'
import { demoPorts, fleet, gone, readmeSample, ROOT, startDemo, waitForOutput, type Demo, type DemoPorts } from './demo-helpers.js'

const run = promisify(execFile)

const STOP_WITHIN_MS = 8000
const WAIT_MS = 150_000
const dir = mkdtempSync(join(tmpdir(), 'ep-demo-'))
let ports: DemoPorts
let running: Demo | undefined

test.before(async () => { ports = await demoPorts() })
test.after(async () => {
  // Whatever a failed assertion left: the whole session of npm, then the fleet.
  if (running?.npm.pid) try { process.kill(-running.npm.pid, 'SIGKILL') } catch { /* gone */ }
  try { const f = fleet(dir); for (const p of [f.demo, ...f.children, ...f.instances]) try { process.kill(p, 'SIGKILL') } catch { /* gone */ } } catch { /* none */ }
  rmSync(dir, { recursive: true, force: true })
})

async function assertStops(what: string, kill: (d: Demo, f: ReturnType<typeof fleet>) => void, waitFor = /all 5 sites joined/, before?: (d: Demo) => Promise<void>): Promise<void> {
  const d = running = startDemo(dir, ports)
  await waitForOutput(d, waitFor, WAIT_MS)
  const f = fleet(dir)
  assert.equal(f.children.length, 6, 'a server and five agents')
  await before?.(d)
  kill(d, f)
  const left = await gone([f.demo, ...f.children, ...f.instances], STOP_WITHIN_MS)
  assert.deepEqual(left, [], `${what}: everything the demo started stops (output: ${d.output().slice(-400)})`)
}

const has = (tool: string) => { try { execFileSync('sh', ['-c', `command -v ${tool}`]); return true } catch { return false } }

/** The demo prints README's sample (up to its own ports and paths), and each command it suggests runs. */
async function checkHints(d: Demo): Promise<void> {
  const missing = ['dig', 'curl'].filter((x) => !has(x))
  if (missing.length) {
    if (process.env.CI === 'true') assert.fail(`${missing.join(', ')} missing (CI installs dnsutils and curl: .ci/run)`)
    return
  }
  const printed = d.output().trimEnd().split('\n')
  // This run's own ports and paths, back to the defaults README shows.
  const asDefault = printed.map((l) => l
    .split(join(dir, 'demo')).join('.edgeplane-demo')
    .split(join(dir, 'config.json')).join('~/.edgeplane/config.json')
    .replace(`127.0.0.1:${ports.api}`, '127.0.0.1:7420')
    .replace(`-p ${ports.dns} `, '-p 5353 ')
    .replace(`:${ports.gateway}/`, ':8080/')
    .replace(/(curl http:\/\/127\.0\.[14]\.1:)\d+\//, '$1' + '30000/'))
  // Without podman or docker-registry the demo says it skips the container app, and prints no
  // container lines (CI installs both: .ci/run).
  const skipped = asDefault.findIndex((l) => l.startsWith('skipping the container app'))
  if (skipped >= 0 && process.env.CI === 'true') assert.fail(asDefault[skipped])
  const expected = skipped < 0 ? readmeSample() : readmeSample().filter((l) => !/container/.test(l))
  assert.deepEqual(skipped < 0 ? asDefault : asDefault.filter((_, i) => i !== skipped), expected, 'README\'s sample is what the demo prints')

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
}

// One demo at a time (they share the sites' addresses): the hints are checked on the first run.
test('the demo prints README\'s sample and its commands run; then SIGTERM to npm stops the server, agents and instances', async () => {
  await assertStops('SIGTERM to npm', (d) => d.npm.kill('SIGTERM'), /Ctrl-C stops everything/, checkHints)
})

test('right after: a second demo starts; npm SIGKILLed: the fleet stops', async () => {
  await assertStops('SIGKILL to npm', (d) => d.npm.kill('SIGKILL'))
})

test('the terminal closing (SIGHUP to the whole foreground group): the fleet stops', async () => {
  await assertStops('SIGHUP to the group', (d) => process.kill(-d.npm.pid!, 'SIGHUP'))
})

test('SIGHUP to npm alone: the fleet stops', async () => {
  await assertStops('SIGHUP to npm', (d) => d.npm.kill('SIGHUP'))
})

test('the demo process itself SIGKILLed: its server and agents read the end of their pipe and stop', async () => {
  await assertStops('SIGKILL to the demo', (_d, f) => process.kill(f.demo, 'SIGKILL'))
})

test('a port already taken: a clear message naming the pid that holds it, and a non-zero exit', async () => {
  const squatter = createServer()
  await new Promise<void>((r) => squatter.listen(ports.api, '127.0.0.1', () => r()))
  try {
    const d = running = startDemo(dir, ports)
    const code = await d.exited
    assert.notEqual(code, 0)
    assert.match(d.output(), new RegExp(`error: cannot start the demo: the API address 127\\.0\\.0\\.1:${ports.api} is in use by pid ${process.pid} \\(`))
    assert.match(d.output(), new RegExp(`kill ${process.pid}`))
    assert.doesNotMatch(d.output(), /at .+:\d+:\d+/, 'no stack')
  } finally {
    squatter.close()
  }
})
