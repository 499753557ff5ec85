// A local OCI registry (CNCF distribution, Debian package docker-registry) on a loopback port: what
// the demo pushes its container image to and what the container tests pull from.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

export const REGISTRY_BIN = 'docker-registry'

export interface LocalRegistry {
  /** host:port */
  host: string
  child: ChildProcess
  stop(): Promise<void>
}

export function registryMissing(bin = REGISTRY_BIN): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  return r.error ? `${bin} is not installed (apt-get install docker-registry)` : undefined
}

/** Starts a registry storing into dir on 127.0.0.1:port (a free port when 0); resolves once it answers /v2/. */
export async function startRegistry(dir: string, opts: { port?: number; address?: string; bin?: string } = {}): Promise<LocalRegistry> {
  const address = opts.address ?? '127.0.0.1'
  const port = opts.port || await freePort(address)
  mkdirSync(join(dir, 'data'), { recursive: true })
  const config = join(dir, 'config.yml')
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: warn', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: ${address}:${port}`, '',
  ].join('\n'))
  const out = openSync(join(dir, 'registry.log'), 'a')
  const child = spawn(opts.bin ?? REGISTRY_BIN, ['serve', config], { stdio: ['ignore', out, out] })
  closeSync(out)
  const host = `${address}:${port}`
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (code ${child.exitCode}); see ${join(dir, 'registry.log')}`)
    try {
      const res = await fetch(`http://${host}/v2/`)
      if (res.ok) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`docker-registry on ${host} did not answer within 20 s`) }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    host, child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

export function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen({ host: address, port: 0 }, () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
