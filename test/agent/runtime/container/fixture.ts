// Real parts for the container tests: podman, a docker-registry on a free loopback port started by
// the test, and a tiny busybox image built offline from examples/container-hello and pushed to it.
// Outside CI a missing tool skips with the reason; in CI (CI=true) the tests fail instead.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { podmanAvailable } from '../../../../src/agent/runtime/container/podman.js'
import { buildImage, imageToolsMissing, pushImage } from '../../../../src/demo/container-image.js'
import { registryMissing, startRegistry, type LocalRegistry } from '../../../../src/demo/registry.js'

export const CONTEXT = resolve(import.meta.dirname, '../../../../examples/container-hello')

/** Why container tests cannot run here, or undefined. */
export const missing: string | undefined =
  (podmanAvailable() ? undefined : 'podman is not installed (apt-get install podman)') ?? registryMissing() ?? imageToolsMissing()
/** The value for node:test's skip option. */
export const skip: string | false = missing && process.env.CI !== 'true' ? missing : false

export function mustRun(): void {
  if (missing) throw new Error(`in CI this test must run, but ${missing}`)
}

export interface ImageFixture {
  registry: LocalRegistry
  /** registry/edgeplane-test/hello:1.0 */
  image: string
  digest: string
  dir: string
  close(): Promise<void>
}

let built: Promise<string> | undefined
/** The test image, built once per process. */
export function localImage(): Promise<string> {
  built ??= buildImage(CONTEXT, 'localhost/edgeplane-test/hello:1.0').then(() => 'localhost/edgeplane-test/hello:1.0')
  return built
}

/** A registry of its own with the test image pushed to it. */
export async function imageFixture(): Promise<ImageFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-ctest-'))
  const registry = await startRegistry(join(dir, 'registry'))
  const local = await localImage()
  const image = `${registry.host}/edgeplane-test/hello:1.0`
  const digest = await pushImage(local, image)
  return {
    registry, image, digest, dir,
    async close() {
      await registry.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
