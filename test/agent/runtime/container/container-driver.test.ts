// What the container runtime adds to the contract, with real podman: limits enforced in the
// container's cgroups, a read-only root with a sized scratch tmpfs, a published containerPort,
// OOMKilled reported as such, re-adoption by label, and the bad input a node must survive
// (unknown image, registry down, digest mismatch, an entrypoint that exits at once).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { join } from 'node:path'
import { ContainerDriver } from '../../../../src/agent/runtime/container/container-driver.js'
import { Podman } from '../../../../src/agent/runtime/container/podman.js'
import { StartFailure, type ExitInfo, type InstanceHandle, type StartSpec } from '../../../../src/agent/runtime/driver.js'
import type { Template } from '../../../../src/api/kinds/index.js'
import { freePort } from '../../../../src/demo/registry.js'
import { keepAlive, sleep, tempDir, testPorts, waitFor } from '../../helpers.js'
import { imageFixture, mustRun, skip } from './fixture.js'

const logOf = (h: InstanceHandle) => { try { return readFileSync(h.logFile, 'utf8') } catch { return '' } }

test('container driver: limits, scratch, ports, OOM and bad input', { skip, timeout: 300_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  t.after(() => fx.close())
  const podman = new Podman()
  const driver = new ContainerDriver({ podman, exitPollMs: 100 })
  const dir = tempDir(t)
  const ports = testPorts()
  const pinned = `${fx.image.replace(/:1\.0$/, '')}@${fx.digest}`
  const handles: InstanceHandle[] = []
  t.after(async () => { for (const h of handles) await podman.run(['rm', '--force', '--ignore', h.container ?? '']) })
  let n = 0
  const spec = async (extra: Partial<Template>, env: Record<string, string> = {}): Promise<StartSpec> => {
    const port = await ports.allocate()
    const name = `c${++n}`
    return {
      id: `test/${name}`, uid: `ctest-${name}-${process.pid}`, cwd: dir, logFile: join(dir, `${name}.log`), host: '127.0.0.1', ports: { http: port },
      env: { HOST: '127.0.0.1', PORT: String(port), PORT_HTTP: String(port), ...env },
      template: { runtime: 'container', image: pinned, stopGracePeriodSeconds: 1, ...extra },
    }
  }
  const start = async (s: StartSpec) => { const h = await driver.start(s); handles.push(h); return h }
  const exitOf = (h: InstanceHandle) => keepAlive(new Promise<ExitInfo>((resolve) => driver.onExit(h, resolve)))
  const sh = (script: string): Partial<Template> => ({ command: '/bin/sh', args: ['-c', script] })

  await t.test('resources are enforced in the container cgroups; read-only root; sized scratch tmpfs', async () => {
    const h = await start(await spec({
      ...sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max; ' +
        'touch /rootfile 2>/dev/null && echo root-writable || echo root-readonly; touch /scratch/x && echo scratch-writable; grep " /scratch " /proc/mounts'),
      resources: { memory: '48Mi', cpu: '250m', pids: 64 }, readOnlyRootFilesystem: true,
      volumes: [{ name: 'scratch', mountPath: '/scratch', sizeLimit: '8Mi' }],
    }))
    const info = await exitOf(h)
    assert.equal(info.code, 0, logOf(h))
    const lines = logOf(h).split('\n')
    assert.equal(lines[0], String(48 * 1024 * 1024), 'memory limit')
    assert.equal(lines[1], '25000', 'cpu quota: 250m of the default 100000 us period')
    assert.equal(lines[2], '64', 'pids limit')
    assert.match(logOf(h), /^root-readonly$/m)
    assert.match(logOf(h), /^scratch-writable$/m)
    assert.match(logOf(h), /tmpfs \/scratch tmpfs .*size=8192k/)
  })

  await t.test('containerPort: the allocated host port is published to it; PORT inside is the containerPort', async () => {
    const s = await spec({ ...sh('echo "inside PORT=$PORT HOST=$HOST"; exec httpd -f -p "$HOST:$PORT" -h /www'), ports: [{ name: 'http', protocol: 'tcp', containerPort: 8080 }] })
    const h = await start(s)
    const body = await fetchText(s.ports!.http)
    assert.equal(body, 'hello from a container\n')
    assert.match(logOf(h), /^inside PORT=8080 HOST=0\.0\.0\.0$/m)
    await driver.stop(h, 1000)
  })

  await t.test('a memory limit below use: OOMKilled, exit 137', async () => {
    const h = await start(await spec({ ...sh('echo filling; exec dd if=/dev/zero of=/dev/null bs=64M count=1'), resources: { memory: '16Mi' } }))
    const info = await exitOf(h)
    assert.equal(info.reason, 'OOMKilled', JSON.stringify(info))
    assert.equal(info.code, 137)
    assert.match(info.message ?? '', /out of memory \(limit 16Mi\)/)
  })

  await t.test('an entrypoint that exits at once: its exit code, nothing left running', async () => {
    const h = await start(await spec(sh('echo "no config"; exit 2')))
    const info = await exitOf(h)
    assert.equal(info.code, 2)
    assert.equal(driver.isAlive(h), false)
    assert.match(logOf(h), /no config/)
  })

  await t.test('a command missing from the image: ContainerCannotRun, the log says why', async () => {
    const s = await spec({ command: '/bin/nonexistent' })
    const err = await driver.start(s).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof StartFailure, String(err))
    assert.equal(err.reason, 'ContainerCannotRun')
    assert.match(err.message, /nonexistent/)
    assert.equal((await podman.run(['ps', '-a', '-q', '--filter', `label=io.edgeplane.instance=${s.uid}`])).stdout.trim(), '', 'nothing left behind')
  })

  await t.test('re-adoption by label: a second start of the same instance returns the running container', async () => {
    const s = await spec(sh('echo once; exec sleep 600'))
    const h = await start(s)
    await waitFor(() => logOf(h).includes('once'), 'started', 20_000)
    assert.ok(h.workloadPid && h.workloadPid !== h.pid, 'the workload pid is reported apart from conmon')
    assert.match(readFileSync(`/proc/${h.workloadPid}/cmdline`, 'utf8'), /^sleep\x00600\x00$/)
    const fresh = new ContainerDriver({ podman })
    const again = await fresh.start(s)
    assert.equal(again.container, h.container)
    assert.equal(again.pid, h.pid)
    assert.equal(logOf(h).match(/^once$/gm)?.length, 1)
    await fresh.stop(again, 0)
  })

  await t.test('unknown image: ImageNotFound; registry down: ErrImagePull', async () => {
    const e1 = await driver.start(await spec({ image: `${fx.registry.host}/edgeplane-test/missing:1.0` })).catch((e: unknown) => e)
    assert.ok(e1 instanceof StartFailure)
    assert.equal(e1.reason, 'ImageNotFound', e1.message)
    const e2 = await driver.start(await spec({ image: `127.0.0.1:${await freePort()}/edgeplane-test/hello:1.0` })).catch((e: unknown) => e)
    assert.ok(e2 instanceof StartFailure)
    assert.equal(e2.reason, 'ErrImagePull', e2.message)
    assert.match(e2.message, /connection refused/)
  })

  await t.test('digest mismatch: a registry that serves other bytes for a digest is refused', async () => {
    // A relay in front of the real registry that answers a manifest request by digest with the
    // manifest of the tag (other bytes): what a tampering mirror would do.
    const fake = `sha256:${'1'.repeat(64)}`
    const relay = createServer((req, res) => {
      const path = (req.url ?? '/').replace(`/manifests/${fake}`, '/manifests/1.0')
      const up = request({ host: fx.registry.host.split(':')[0], port: Number(fx.registry.host.split(':')[1]), path, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      req.pipe(up)
    })
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()))
    t.after(() => relay.close())
    const port = (relay.address() as { port: number }).port
    const e = await driver.start(await spec({ image: `127.0.0.1:${port}/edgeplane-test/hello@${fake}` })).catch((x: unknown) => x)
    assert.ok(e instanceof StartFailure, String(e))
    assert.equal(e.reason, 'DigestMismatch', e.message)
  })
})

async function fetchText(port: number): Promise<string> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/index.html`)
      if (r.ok) return await r.text()
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`nothing served on ${port}`)
    await sleep(100)
  }
}
