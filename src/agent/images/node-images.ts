// The agent's part of image distribution, composed: the registries.conf its podman calls read (pull
// through the site cache), the site cache it runs when started with --registry-cache, and the
// pre-pulls the server asks for. It applies the server's "images" documents and reports back.
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import type { ImagePullReport, ImagesMessage, RegistryCacheState } from '../../api/link.js'
import { writeRegistriesConf } from './registries-conf.js'
import { RegistryCache } from './registry-cache.js'
import { Prepuller, podmanRunner } from './prepuller.js'

export interface NodeImagesOptions {
  dataDir: string
  clock: Clock
  log: Logger
  /** The node's address: the cache must listen on it. */
  address: string
  /** Run the site cache on HOST:PORT (the node's address). */
  registryCache?: string
  /** podman's global options for pre-pulls (e.g. --root of a storage of its own). */
  podmanArgs?: string[]
  onCacheState: (s: RegistryCacheState) => void
  onPulls: (reports: ImagePullReport[]) => void
}

/** Where the agent's podman calls find their registries.conf (CONTAINERS_REGISTRIES_CONF). */
export function registriesConfPath(dataDir: string): string {
  return join(dataDir, 'registries.conf')
}

export class NodeImages {
  readonly cache: RegistryCache | undefined
  readonly puller: Prepuller
  private confPath: string
  private conf: string | undefined

  constructor(private o: NodeImagesOptions) {
    this.confPath = registriesConfPath(o.dataDir)
    try { this.conf = readFileSync(this.confPath, 'utf8') } catch { /* first start */ }
    // The file always exists (podman is pointed at it), and keeps the last config through restarts.
    if (this.conf === undefined) writeRegistriesConf(this.confPath, {})
    this.conf = readFileSync(this.confPath, 'utf8')
    if (o.registryCache) {
      const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(o.registryCache)
      if (!m || m[1] !== o.address) throw new Error(`--registry-cache "${o.registryCache}": use ${o.address}:PORT (the cache listens on the node's own address, which the server checks)`)
    }
    if (o.registryCache) this.cache = new RegistryCache({ listen: o.registryCache, dataDir: o.dataDir, clock: o.clock, log: o.log, onState: o.onCacheState })
    this.puller = new Prepuller({
      clock: o.clock, log: o.log, onChange: o.onPulls,
      podman: podmanRunner({ globalArgs: o.podmanArgs, env: () => ({ ...process.env, CONTAINERS_REGISTRIES_CONF: this.confPath }) }),
    })
  }

  start(): void { this.cache?.start() }

  apply(msg: ImagesMessage): void {
    if (writeRegistriesConf(this.confPath, { ...(msg.central ? { central: msg.central } : {}), ...(msg.mirror ? { mirror: msg.mirror } : {}) }, this.conf)) {
      this.conf = readFileSync(this.confPath, 'utf8')
      this.o.log.info({ central: msg.central, mirror: msg.mirror }, 'registries.conf updated')
    }
    if (msg.parent) this.cache?.setParent(msg.parent)
    this.puller.setWanted(msg.pull)
  }

  async stop(): Promise<void> {
    this.puller.stop()
    await this.cache?.stop()
  }
}
