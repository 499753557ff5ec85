// Container runtime figures (BENCHMARKS.md), with real podman and a docker-registry on loopback:
//  1. start → ready: a busybox httpd started by the process driver and by the container driver
//     (image already in the node's store), timed from start() to the first HTTP answer; p50/p99.
//  2. the agent's own RSS, idle, with N container instances it supervises: a real server and a
//     real `edgeplane agent` process, an App of N container replicas, RSS read from /proc after
//     the instances are ready and the agent has been idle for a while.
// Usage: flock /tmp/bench.lock npx tsx bench/containers/run.ts [--runs 15] [--instances 5] [--idle-seconds 20]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { ContainerDriver } from '../../src/agent/runtime/container/container-driver.js'
import { Podman } from '../../src/agent/runtime/container/podman.js'
import { ProcessDriver } from '../../src/agent/runtime/process-driver.js'
import { PortAllocator } from '../../src/agent/runtime/ports.js'
import type { RuntimeDriver, StartSpec } from '../../src/agent/runtime/driver.js'
import type { Template } from '../../src/api/kinds/index.js'
import { buildImage, pushImage } from '../../src/demo/container-image.js'
import { startRegistry } from '../../src/demo/registry.js'
import { api, cli, startCli, startServerProc, tempDir, waitNodesReady, waitUntil, type Proc } from '../../test/e2e/fleet-helpers.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, instances: { type: 'string', default: '5' }, 'idle-seconds': { type: 'string', default: '20' } } })
const RUNS = Number(values.runs)
const INSTANCES = Number(values.instances)
const IDLE_S = Number(values['idle-seconds'])
const SCRIPT = 'exec busybox httpd -f -p "$HOST:$PORT" -h /'
const tmp = tempDir('edgeplane-bench-containers-')
const procs: Proc[] = []
const podman = new Podman()

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}

async function answered(port: number, deadlineMs: number): Promise<void> {
  for (;;) {
    try { await fetch(`http://127.0.0.1:${port}/`); return } catch { /* not yet */ }
    if (performance.now() > deadlineMs) throw new Error(`port ${port} never answered`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

async function startTimes(name: string, driver: RuntimeDriver, template: Template): Promise<number[]> {
  const ports = new PortAllocator({ host: '127.0.0.1', min: 47000, max: 47999 })
  const out: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const port = await ports.allocate()
    const spec: StartSpec = { id: `bench/${name}-${i}`, uid: `bench-${name}-${i}-${process.pid}`, template, env: { HOST: '127.0.0.1', PORT: String(port) }, cwd: tmp.dir, logFile: join(tmp.dir, `${name}-${i}.log`), host: '127.0.0.1', ports: { http: port } }
    const t0 = performance.now()
    const h = await driver.start(spec)
    await answered(port, t0 + 60_000)
    out.push(performance.now() - t0)
    await driver.stop(h, 0)
    ports.release(port)
  }
  return out
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN
}

async function main(): Promise<void> {
  const registry = await startRegistry(join(tmp.dir, 'registry'))
  try {
    await buildImage(join(import.meta.dirname, '../../examples/container-hello'), 'localhost/edgeplane-bench/hello:1.0')
    const image = `${registry.host}/edgeplane-bench/hello:1.0`
    const digest = await pushImage('localhost/edgeplane-bench/hello:1.0', image)
    const pinned = `${registry.host}/edgeplane-bench/hello@${digest}`

    // 1. start → ready
    const proc = await startTimes('process', new ProcessDriver(), { runtime: 'process', command: '/bin/busybox', args: ['sh', '-c', SCRIPT], stopGracePeriodSeconds: 0 })
    const cdrv = new ContainerDriver({ podman })
    await podman.run(['pull', '--quiet', '--tls-verify=false', pinned]) // the image is on the node, as after pre-distribution
    const ctr = await startTimes('container', cdrv, { runtime: 'container', image: pinned, command: '/bin/sh', args: ['-c', SCRIPT], stopGracePeriodSeconds: 0 })
    const line = (n: string, xs: number[]) => `${n.padEnd(10)} p50 ${pct(xs, 50).toFixed(0)} ms  p99 ${pct(xs, 99).toFixed(0)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`
    console.log('start → ready (first HTTP answer)')
    console.log(line('process', proc))
    console.log(line('container', ctr))

    // 2. the agent's RSS, idle, with container instances
    const server = await startServerProc(join(tmp.dir, 'server'), ['--no-dns', '--allowed-registries', registry.host])
    procs.push(server)
    const env = { ...server.env, EDGEPLANE_CONFIG: join(tmp.dir, 'config.json') }
    const token = (await cli(['token', 'create', '--join'], env)).stdout.trim()
    const agent = startCli(['agent', '--server', server.url, '--join-token', token, '--site', 'bench', '--region', 'eu-west', '--provider', 'self',
      '--address', '127.0.0.1', '--name', 'bench-1', '--data-dir', join(tmp.dir, 'agent')])
    procs.push(agent)
    await waitNodesReady(server, 1)
    await new Promise((r) => setTimeout(r, IDLE_S * 1000))
    const rss0 = rssMiB(agent.proc.pid!)
    const manifest = JSON.stringify({ apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'bench-ctr' }, spec: { replicas: INSTANCES, template: { runtime: 'container', image, command: '/bin/sh', args: ['-c', SCRIPT], ports: [{ name: 'http' }], resources: { cpu: '10m', memory: '16Mi' }, readiness: { http: { path: '/', port: 'http' }, periodSeconds: 1 } }, placement: { maxPerSite: INSTANCES } } })
    const applied = await api(server.url, server.token, 'POST', '/apis/edgeplane.io/v1/namespaces/default/apps', JSON.parse(manifest))
    if (applied.status !== 201) throw new Error(`apply: ${applied.status} ${JSON.stringify(applied.body)}`)
    await waitUntil('instances ready', async () => {
      const r = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/apps/bench-ctr')
      return (r.body.status?.readyReplicas ?? 0) >= INSTANCES
    }, 180_000)
    await new Promise((r) => setTimeout(r, IDLE_S * 1000))
    const rssN = rssMiB(agent.proc.pid!)
    console.log(`agent RSS idle: ${rss0} MiB with no instance; ${rssN} MiB with ${INSTANCES} container instances ready (after ${IDLE_S} s idle)`)
    await api(server.url, server.token, 'DELETE', '/apis/edgeplane.io/v1/namespaces/default/apps/bench-ctr')
    await waitUntil('containers stopped', async () => (await podman.run(['ps', '-q', '--filter', 'label=io.edgeplane.node=bench-1'])).stdout.trim() === '', 120_000)
  } finally {
    for (const p of procs.reverse()) await p.kill('SIGTERM').catch(() => undefined)
    await podman.run(['rm', '--force', '--filter', 'label=io.edgeplane.node=bench-1'])
    await registry.stop()
    tmp.remove()
  }
}

await main()
