// The demo owns its fleet: whichever way `npm run demo` goes (SIGTERM, SIGHUP, its terminal closing,
// npm or the demo itself SIGKILLed), the server, agents and instances it started stop within a few
// seconds, and the next demo starts right after. A port already taken is named with its holder's pid.
// Real processes: npm, the demo, a server, five agents and their instances.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { demoPorts, fleet, gone, startDemo, waitForOutput, type Demo, type DemoPorts } from './demo-helpers.js'

const STOP_WITHIN_MS = 8000
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

async function assertStops(what: string, kill: (d: Demo, f: ReturnType<typeof fleet>) => void, waitFor = /all 5 sites joined/): Promise<void> {
  const d = running = startDemo(dir, ports)
  await waitForOutput(d, waitFor, 120_000)
  const f = fleet(dir)
  assert.equal(f.children.length, 6, 'a server and five agents')
  kill(d, f)
  const left = await gone([f.demo, ...f.children, ...f.instances], STOP_WITHIN_MS)
  assert.deepEqual(left, [], `${what}: everything the demo started stops (output: ${d.output().slice(-400)})`)
}

test('SIGTERM to npm (after the demo is ready): the server, agents and instances stop', async () => {
  await assertStops('SIGTERM to npm', (d) => d.npm.kill('SIGTERM'), /Ctrl-C stops everything/)
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
