// Builds a tiny OCI image offline from a context the repo ships (examples/container-hello) and a
// static busybox from the host (Debian busybox-static), and pushes it to a registry: what the demo
// and the container tests run. No network beyond the local registry is needed.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Where Debian's busybox-static puts its binary. */
export const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'httpd', 'cat', 'echo', 'env', 'sleep', 'ls', 'dd', 'head', 'tail', 'true', 'false', 'kill', 'wc', 'tr', 'mkdir', 'touch', 'rm']

/** Why an image cannot be built here, or undefined when it can. */
export function imageToolsMissing(): string | undefined {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`
  return undefined
}

/** `podman build` of contextDir (its Containerfile) with busybox added as rootfs/bin; returns the image id. */
export async function buildImage(contextDir: string, tag: string, podman = 'podman'): Promise<string> {
  const ctx = mkdtempSync(join(tmpdir(), 'edgeplane-image-'))
  try {
    cpSync(contextDir, ctx, { recursive: true })
    const bin = join(ctx, 'rootfs', 'bin')
    mkdirSync(bin, { recursive: true })
    cpSync(BUSYBOX, join(bin, 'busybox'))
    for (const a of APPLETS) symlinkSync('busybox', join(bin, a))
    // No RUN step: a RUN needs the default rlimits, which this kind of host refuses.
    const { stdout } = await run(podman, ['build', '--quiet', '--tag', tag, '--file', join(ctx, 'Containerfile'), ctx], { timeout: 120_000 })
    return stdout.trim().split('\n').pop()!
  } finally {
    rmSync(ctx, { recursive: true, force: true })
  }
}

/** Pushes a local image to a registry (plain HTTP for a loopback one); returns the manifest digest. */
export async function pushImage(local: string, remote: string, opts: { insecure?: boolean; podman?: string } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-push-'))
  try {
    const digestFile = join(dir, 'digest')
    await run(opts.podman ?? 'podman', ['push', '--quiet', ...(opts.insecure ?? true ? ['--tls-verify=false'] : []), '--digestfile', digestFile, local, remote], { timeout: 120_000 })
    return readFileSync(digestFile, 'utf8').trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
