// The demo's container app: a tiny image built offline from examples/container-hello (podman build,
// static busybox), pushed to a registry the demo runs itself (docker-registry on 127.0.0.1:5000),
// then examples/container-hello/app.yaml applied. Skipped, with one clear line, when podman, the
// registry or busybox-static are missing here.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Resource } from '../api/meta.js'
import { parseManifests } from '../api/manifest.js'
import { podmanAvailable } from '../agent/runtime/container/podman.js'
import { buildImage, imageToolsMissing, pushImage } from './container-image.js'
import { registryMissing, startRegistry, type LocalRegistry } from './registry.js'

/** The registry the example's image names (examples/container-hello/app.yaml). */
export const DEMO_REGISTRY = '127.0.0.1:5000'

export interface ContainerAppDeps {
  packageRoot: string
  dataDir: string
  apply: (doc: Resource) => Promise<{ obj: Resource; action: string }>
  out: (line: string) => void
}

/** Builds, pushes and applies the container app; returns how to stop its registry (undefined when skipped). */
export async function startContainerApp(d: ContainerAppDeps): Promise<LocalRegistry | undefined> {
  const missing = (podmanAvailable() ? undefined : 'podman is not installed') ?? registryMissing() ?? imageToolsMissing()
  if (missing) {
    d.out(`skipping the container app: ${missing}`)
    return undefined
  }
  let registry: LocalRegistry | undefined
  try {
    registry = await startRegistry(join(d.dataDir, 'registry'), { port: 5000 })
    const context = join(d.packageRoot, 'examples', 'container-hello')
    await buildImage(context, 'localhost/edgeplane-demo/hello:1.0')
    // The digest is not printed: the revision pins it (`npx edgeplane get revisions`), and the
    // demo's output stays the same from run to run (README shows it).
    await pushImage('localhost/edgeplane-demo/hello:1.0', `${DEMO_REGISTRY}/demo/hello:1.0`)
    d.out(`built examples/container-hello and pushed ${DEMO_REGISTRY}/demo/hello:1.0`)
    const manifest = join(context, 'app.yaml')
    for (const doc of parseManifests(readFileSync(manifest, 'utf8'), manifest)) {
      const { obj, action } = await d.apply(doc as Resource)
      d.out(`${obj.kind.toLowerCase()}/${obj.metadata.name} ${action} (runtime: container)`)
    }
    return registry
  } catch (err) {
    await registry?.stop()
    d.out(`skipping the container app: ${(err as Error).message.split('\n')[0]}`)
    return undefined
  }
}
