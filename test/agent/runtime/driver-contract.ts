// One contract for every runtime driver (process, container): start, env, logs, ports, exit codes,
// stop, and re-adoption by a fresh driver (an agent restart) without restarting the workload.
// Each driver's test file supplies how to run a busybox shell script under it.
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import type { ExitInfo, InstanceHandle, RuntimeDriver, StartSpec } from '../../../src/agent/runtime/driver.js'
import type { Template } from '../../../src/api/kinds/index.js'
import { readLog } from '../../../src/agent/runtime/log-files.js'
import { keepAlive, sleep, tempDir, testPorts, waitFor } from '../helpers.js'

export interface ContractTarget {
  /** A new driver, as a freshly started agent would make it. */
  driver(): RuntimeDriver
  /** A template that runs `sh -c script` with busybox available as `busybox`. */
  template(script: string): Template
  /** Cleanup that does not trust the driver under test. */
  forceStop(h: InstanceHandle): Promise<void>
}

/** Serves HTTP on $HOST:$PORT (busybox httpd) after saying who it is. */
const SERVER = 'echo "started GREETING=$GREETING PORT=$PORT"; echo "to-stderr" >&2; exec busybox httpd -f -p "$HOST:$PORT" -h /'

function httpStatus(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'))
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
    req.end()
  })
}

function logOf(h: InstanceHandle): string {
  try { return readFileSync(h.logFile, 'utf8') } catch { return '' }
}

async function exitOf(d: RuntimeDriver, h: InstanceHandle, timeoutMs = 30_000): Promise<ExitInfo> {
  return keepAlive(Promise.race([
    new Promise<ExitInfo>((resolve) => d.onExit(h, resolve)),
    sleep(timeoutMs).then(() => { throw new Error(`no exit within ${timeoutMs} ms`) }),
  ]))
}

export function driverContract(target: ContractTarget) {
  return async (t: TestContext): Promise<void> => {
    const dir = tempDir(t)
    const ports = testPorts()
    const spec = async (name: string, script: string, env: Record<string, string> = {}): Promise<StartSpec> => {
      const port = await ports.allocate()
      return {
        id: `contract/${name}`, uid: `contract-${name}-${process.pid}`, template: target.template(script),
        env: { HOST: '127.0.0.1', PORT: String(port), PORT_HTTP: String(port), ...env },
        cwd: dir, logFile: join(dir, `${name}.log`), host: '127.0.0.1', ports: { http: port },
      }
    }
    const started: InstanceHandle[] = []
    let served: { h: InstanceHandle; s: StartSpec } | undefined
    t.after(async () => { for (const h of started) await target.forceStop(h).catch(() => undefined) })

    await t.test('start: env, logs (stdout and stderr) and the allocated port', async () => {
      const d = target.driver()
      const s = await spec('serve', SERVER, { GREETING: 'hello world' })
      const h = await d.start(s)
      started.push(h)
      assert.equal(h.id, 'contract/serve')
      assert.equal(h.logFile, s.logFile)
      assert.ok(d.isAlive(h), 'alive after start')
      await waitFor(() => logOf(h).includes('to-stderr'), 'stderr in the log', 20_000)
      assert.match(logOf(h), new RegExp(`^started GREETING=hello world PORT=${s.ports!.http}$`, 'm'))
      // The same reader as `edgeplane logs`.
      let text = ''
      for await (const chunk of readLog(h.logFile, { tailLines: 2 })) text += chunk
      assert.match(text, /started GREETING/)
      const deadline = Date.now() + 20_000
      let status: number | string = ''
      while (Date.now() < deadline && typeof (status = await httpStatus(s.ports!.http)) !== 'number') await sleep(100)
      assert.equal(typeof status, 'number', `HTTP on the allocated port answered (${status})`)
      served = { h, s }
    })

    await t.test('re-adopted by a fresh driver (agent restart) without a restart', async () => {
      const { h, s } = served ?? assert.fail('the server did not start')
      const again = target.driver()
      assert.ok(again.isAlive(h), 'the new driver sees the same workload alive')
      assert.equal(logOf(h).match(/^started /gm)?.length, 1, 'started once')
      assert.equal(typeof await httpStatus(s.ports!.http), 'number', 'still serving')
      const ended = exitOf(again, h)
      await again.stop(h, 2000)
      await ended
      assert.equal(again.isAlive(h), false)
      assert.equal(typeof await httpStatus(s.ports!.http), 'string', 'the port is closed')
      assert.equal(logOf(h).match(/^started /gm)?.length, 1, 'never restarted')
    })

    await t.test('exit codes', async () => {
      const d = target.driver()
      const h3 = await d.start(await spec('exit3', 'echo bye; exit 3'))
      started.push(h3)
      const info = await exitOf(d, h3)
      assert.equal(info.code, 3)
      assert.equal(d.isAlive(h3), false)
      assert.match(logOf(h3), /^bye$/m)
      const h0 = await d.start(await spec('exit0', 'exit 0'))
      started.push(h0)
      assert.equal((await exitOf(d, h0)).code, 0)
    })

    await t.test('stop ends a workload that ignores SIGTERM (after the grace)', async () => {
      const d = target.driver()
      const h = await d.start(await spec('stubborn', 'trap "" TERM; echo up; while true; do sleep 1; done'))
      started.push(h)
      await waitFor(() => logOf(h).includes('up'), 'up', 20_000)
      const ended = exitOf(d, h)
      await d.stop(h, 1000)
      await ended
      assert.equal(d.isAlive(h), false)
    })
  }
}
