import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { ProcessDriver } from '../../src/agent/runtime/process-driver.js'
import { readProcStat } from '../../src/agent/runtime/proc-stat.js'
import type { ExitInfo, InstanceHandle } from '../../src/agent/runtime/driver.js'
import { capLogFile, readLog } from '../../src/agent/runtime/log-files.js'
import { keepAlive, killGroup, nodeSpec, running, sleep, tempDir, template, testPorts, waitFor } from './helpers.js'

const FOREVER = 'setInterval(() => {}, 1000)'

function logOf(h: InstanceHandle): string {
  try {
    return readFileSync(h.logFile, 'utf8')
  } catch {
    return ''
  }
}

function exitOf(driver: ProcessDriver, h: InstanceHandle): Promise<ExitInfo> {
  return keepAlive(new Promise((resolve) => driver.onExit(h, resolve)))
}

test('start runs the command detached, with exactly the given env and cwd, output in the log file', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  process.env.EDGEPLANE_TEST_LEAK = 'agent-only' // must not reach the workload
  t.after(() => { delete process.env.EDGEPLANE_TEST_LEAK })
  const script = `console.log(JSON.stringify({ env: process.env, cwd: process.cwd() })); console.error('to-stderr'); ${FOREVER}`
  const h = await driver.start(nodeSpec(dir, script, { id: 'ns/web-1', env: { FOO: 'bar' } }))
  t.after(() => killGroup(h))

  assert.equal(h.id, 'ns/web-1')
  assert.ok(driver.isAlive(h))
  const st = readProcStat(h.pid)
  assert.ok(st)
  assert.equal(st.startTime, h.startTime)
  assert.equal(st.session, h.pid, 'own session: Ctrl-C of the agent terminal does not reach it')
  assert.equal(st.pgrp, h.pid, 'own process group: stop can reach its children')
  assert.ok(!Number.isNaN(Date.parse(h.startedAt)))

  const log = await waitFor(() => logOf(h).includes('to-stderr') && logOf(h), 'stdout and stderr in the log')
  const first = JSON.parse(log.split('\n')[0]!) as { env: Record<string, string>; cwd: string }
  assert.deepEqual(Object.keys(first.env).sort(), ['FOO', 'PATH'])
  assert.equal(first.env.FOO, 'bar')
  assert.equal(first.env.PATH, process.env.PATH)
  assert.equal(first.cwd, dir)
})

test('a PATH in spec.env wins over the agent PATH', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const h = await driver.start(nodeSpec(dir, 'console.log("PATH=" + process.env.PATH)', { env: { PATH: '/custom/bin' } }))
  t.after(() => killGroup(h))
  await exitOf(driver, h)
  assert.match(logOf(h), /^PATH=\/custom\/bin$/m)
})

test('the exit code is reported, also to a subscriber that comes late; a cancelled subscriber hears nothing', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const h = await driver.start(nodeSpec(dir, 'setTimeout(() => process.exit(7), 50)'))
  t.after(() => killGroup(h))
  let cancelledCalled = false
  const cancel = driver.onExit(h, () => { cancelledCalled = true })
  cancel()
  assert.deepEqual(await exitOf(driver, h), { code: 7, signal: null })
  assert.equal(driver.isAlive(h), false)
  assert.deepEqual(await exitOf(driver, h), { code: 7, signal: null })
  assert.equal(cancelledCalled, false)
})

test('stop terminates the whole process group, grandchildren included', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const script = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(FOREVER)}], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); ${FOREVER}`
  const h = await driver.start(nodeSpec(dir, script))
  t.after(() => killGroup(h))
  const gpid = Number((await waitFor(() => /grandchild (\d+)/.exec(logOf(h)), 'grandchild pid'))[1])
  t.after(() => { if (running(gpid)) process.kill(gpid, 'SIGKILL') })
  assert.ok(running(gpid))
  assert.equal(readProcStat(gpid)?.pgrp, h.pid)

  const exited = exitOf(driver, h)
  await driver.stop(h, 2000)
  assert.equal(driver.isAlive(h), false)
  assert.equal(running(gpid), false, 'grandchild gone too')
  assert.deepEqual(await exited, { code: null, signal: 'SIGTERM' })
  await driver.stop(h, 2000) // already gone: no error
})

test('stop escalates to SIGKILL after the grace period', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const h = await driver.start(nodeSpec(dir, `process.on('SIGTERM', () => console.log('ignoring TERM')); console.log('up'); ${FOREVER}`))
  t.after(() => killGroup(h))
  await waitFor(() => logOf(h).includes('up'), 'handler installed')
  const exited = exitOf(driver, h)
  await driver.stop(h, 200)
  assert.equal(driver.isAlive(h), false)
  assert.deepEqual(await exited, { code: null, signal: 'SIGKILL' })
  assert.match(logOf(h), /ignoring TERM/)
})

test('a handle whose start time does not match is not alive, and stop leaves the real process alone', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const h = await driver.start(nodeSpec(dir, FOREVER))
  t.after(() => killGroup(h))
  const impostor = { ...h, startTime: h.startTime - 1 } // the same pid, as if reused
  assert.equal(driver.isAlive(impostor), false)
  assert.deepEqual(await exitOf(new ProcessDriver(), impostor), { code: null, signal: null })
  await driver.stop(impostor, 100)
  await sleep(100) // a signal, had one been sent, would have landed by now
  assert.ok(driver.isAlive(h))
  assert.ok(running(h.pid, h.startTime))
})

test('the workload outlives the agent that started it, and a new driver adopts it', async (t) => {
  const dir = tempDir(t)
  const port = await testPorts().allocate()
  const server = `require('http').createServer((q, s) => { console.log('served ' + q.url); s.end('hi') }).listen(Number(process.env.PORT), process.env.HOST, () => console.log('listening'))`
  const spec = nodeSpec(dir, server, { env: { HOST: '127.0.0.1', PORT: String(port) } })
  // A throwaway "agent" process starts the workload, prints the handle and exits.
  const driverUrl = pathToFileURL(fileURLToPath(new URL('../../src/agent/runtime/process-driver.ts', import.meta.url))).href
  const agentScript = `import { ProcessDriver } from ${JSON.stringify(driverUrl)}
    const h = await new ProcessDriver().start(${JSON.stringify(spec)})
    process.stdout.write(JSON.stringify(h))`
  const agent = promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', agentScript])
  const agentPid = agent.child.pid
  const h = JSON.parse((await agent).stdout) as InstanceHandle
  t.after(() => killGroup(h))
  assert.equal(running(agentPid!), false, 'the agent is gone')
  assert.notEqual(readProcStat(h.pid)?.ppid, agentPid)

  const driver = new ProcessDriver({ exitPollMs: 50 })
  assert.ok(driver.isAlive(h))
  await waitFor(() => logOf(h).includes('listening'), 'server listening')
  const res = await fetch(`http://127.0.0.1:${port}/after-agent-death`)
  assert.equal(await res.text(), 'hi')
  await waitFor(() => logOf(h).includes('served /after-agent-death'), 'request logged: output does not depend on the agent')

  const exited = exitOf(driver, h)
  process.kill(-h.pid, 'SIGKILL')
  assert.deepEqual(await exited, { code: null, signal: null }, 'adopted: exit seen by polling, code unknown')
  assert.equal(driver.isAlive(h), false)
})

test('a missing command, a non-executable file and a missing cwd reject with a clear error', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const spec = nodeSpec(dir, '')
  await assert.rejects(driver.start({ ...spec, template: template('/nonexistent/edgeplane-cmd') }),
    /cannot start "\/nonexistent\/edgeplane-cmd": command not found/)
  await assert.rejects(driver.start({ ...spec, template: template('no-such-command-edgeplane') }),
    /cannot start "no-such-command-edgeplane": command not found/)
  const notExec = join(dir, 'script.sh')
  writeFileSync(notExec, '#!/bin/sh\necho hi\n')
  chmodSync(notExec, 0o644)
  await assert.rejects(driver.start({ ...spec, template: template(notExec) }), /cannot start ".*script\.sh": permission denied/)
  await assert.rejects(driver.start({ ...spec, cwd: join(dir, 'missing') }), /working directory .*missing does not exist/)
})

test('a running workload keeps appending at the end after its log is capped', async (t) => {
  const dir = tempDir(t)
  const driver = new ProcessDriver()
  const h = await driver.start(nodeSpec(dir, `let i = 0; setInterval(() => console.log('tick ' + String(i++).padStart(5, '0')), 2)`))
  t.after(() => killGroup(h))
  await waitFor(() => logOf(h).includes('tick 00100'), '100 lines')
  assert.equal(capLogFile(h.logFile, 600), true)
  const size = statSync(h.logFile).size
  assert.ok(size < 600, `capped to ${size} bytes`)
  await waitFor(() => statSync(h.logFile).size > size + 110, 'more lines after the cap')
  await driver.stop(h, 1000)
  const log = logOf(h)
  assert.ok(!log.includes('\0'), 'no hole of NUL bytes: writes landed at the new end, not at the old offset')
  assert.ok(log.length < 5000)
  const ticks = log.trim().split('\n').map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]))
  assert.ok(ticks.every((n) => Number.isInteger(n)), 'whole lines only')
  const last = ticks.slice(-10)
  assert.ok(last.every((n, i) => i === 0 || n === last[i - 1]! + 1) && last[0]! > 100, 'writes go on in order after the cap')
  const tail = await collectLog(readLog(h.logFile, { tailLines: 2 }))
  assert.deepEqual(tail.trim().split('\n'), log.trim().split('\n').slice(-2))
})

async function collectLog(it: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const c of it) out += c
  return out
}
