// Real registries on loopback for the image-distribution tests and bench/images: a central
// docker-registry (CNCF distribution), a counting relay in front of a registry (bytes and blob
// requests that leave it), images built offline with podman from local files, and podman storages of
// their own (one per simulated node). Nothing here touches the machine's shared podman storage.
import { spawn, execFile, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync, openSync, closeSync, createWriteStream } from 'node:fs'
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** Why the real tools cannot run here, if they cannot. */
export function missingTools(): string | undefined {
  if (spawnSync('docker-registry', ['--version']).error) return 'docker-registry is not installed (apt-get install docker-registry)'
  if (spawnSync('podman', ['--version']).error) return 'podman is not installed (apt-get install podman)'
  return undefined
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, host, r))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

export async function waitHttp(url: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.ok) return
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export interface RunningRegistry { host: string; url: string; stop(): Promise<void> }

/** A plain docker-registry (the central registry) with storage in dir. */
export async function startRegistry(dir: string, host = '127.0.0.1'): Promise<RunningRegistry> {
  mkdirSync(join(dir, 'storage'), { recursive: true })
  const port = await freePort(host)
  const config = join(dir, 'config.yml')
  writeFileSync(config, JSON.stringify({ version: 0.1, log: { level: 'warn' }, storage: { filesystem: { rootdirectory: join(dir, 'storage') } }, http: { addr: `${host}:${port}` } }))
  const out = openSync(join(dir, 'registry.log'), 'a')
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', out, out] })
  closeSync(out)
  const url = `http://${host}:${port}`
  await waitHttp(`${url}/v2/`)
  return { host: `${host}:${port}`, url, stop: () => stopChild(child) }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM') })
}

/**
 * A TCP relay in front of a registry that counts what leaves it: bytes towards its clients and the
 * blob GETs it was asked (request lines are read off the client's bytes).
 */
export class CountingRelay {
  bytesOut = 0
  blobGets = new Map<string, number>()
  private server: Server
  private sockets = new Set<Socket>()
  host = ''
  constructor(private target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = connect(target.port, target.host)
      this.sockets.add(client).add(upstream)
      client.on('data', (d: Buffer) => {
        for (const m of d.toString('latin1').matchAll(/GET \/v2\/\S+\/blobs\/(sha256:[0-9a-f]{64}) HTTP/g)) this.blobGets.set(m[1], (this.blobGets.get(m[1]) ?? 0) + 1)
      })
      upstream.on('data', (d: Buffer) => { this.bytesOut += d.length })
      // pipe: backpressure, and an end passed on only once what was read is written (a destroy
      // on the other side's close dropped buffered bytes: pulls saw "unexpected EOF").
      client.pipe(upstream)
      upstream.pipe(client)
      const gone = () => { this.sockets.delete(client); this.sockets.delete(upstream) }
      client.on('error', () => upstream.destroy()).on('close', gone)
      upstream.on('error', () => client.destroy()).on('close', gone)
    })
  }
  async start(host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, host, r))
    this.host = `${host}:${(this.server.address() as AddressInfo).port}`
    return this.host
  }
  get url(): string { return `http://${this.host}` }
  totalBlobGets(): number { return [...this.blobGets.values()].reduce((a, b) => a + b, 0) }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}

/** podman's global options for a storage of its own under dir (a simulated node's). */
export function podmanStorage(dir: string): string[] {
  return ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--events-backend', 'none']
}

/**
 * Builds an image of `layerBytes` random bytes (one layer; built offline from a local file) and
 * pushes it to the registry at `host`; returns the digest reference and the bytes a pull moves
 * (the manifest's config and layer sizes).
 */
export async function buildAndPush(o: { dir: string; host: string; name: string; layerBytes: number }): Promise<{ ref: string; bytes: number }> {
  const ctx = join(o.dir, 'ctx')
  mkdirSync(ctx, { recursive: true })
  await new Promise<void>((resolve, reject) => {
    const w = createWriteStream(join(ctx, 'data'))
    let left = o.layerBytes
    const more = () => {
      while (left > 0) {
        const n = Math.min(left, 1 << 20)
        left -= n
        if (!w.write(randomBytes(n))) { w.once('drain', more); return }
      }
      w.end()
    }
    w.on('finish', resolve).on('error', reject)
    more()
  })
  writeFileSync(join(ctx, 'Containerfile'), 'FROM scratch\nCOPY data /data\n')
  const store = podmanStorage(join(o.dir, 'builder'))
  const tag = `${o.host}/${o.name}:1`
  await exec('podman', [...store, 'build', '-q', '-t', tag, ctx], { maxBuffer: 16 << 20 })
  const digestFile = join(o.dir, 'digest')
  await exec('podman', [...store, 'push', '--tls-verify=false', '--digestfile', digestFile, tag], { maxBuffer: 16 << 20 })
  const digest = (await import('node:fs')).readFileSync(digestFile, 'utf8').trim()
  const ref = `${o.host}/${o.name}@${digest}`
  const manifest = await (await fetch(`http://${o.host}/v2/${o.name}/manifests/${digest}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  })).json() as { config: { size: number }; layers: { size: number }[] }
  const bytes = manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0)
  await exec('podman', [...store, 'rmi', '-f', tag]).catch(() => undefined)
  return { ref, bytes }
}
