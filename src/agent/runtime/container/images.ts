// The node's image store (podman's): pull an image, from its registry or from a mirror (a site's
// pull-through cache), and ask whether an image is present. The container driver and the site's
// image distribution both use this; nothing here keeps state of its own.
import { formatImageRef, isImageRef, isLoopbackRegistry, parseImageRef, type ImageRef } from '../../../api/image-ref.js'
import { Podman, podmanError } from './podman.js'

export interface PullOptions {
  /** host[:port] of a registry mirroring the image's (the site's cache): the image is pulled from there. */
  registryMirror?: string
  /** Plain HTTP / no TLS verification for these registries (loopback ones always). */
  insecureRegistries?: string[]
  timeoutMs?: number
}

export type PullResult =
  | { ok: true; id: string; digests: string[] }
  | { ok: false; reason: 'InvalidImageName' | 'ImageNotFound' | 'RegistryUnavailable' | 'DigestMismatch' | 'PullFailed'; message: string }

export interface ImageInfo {
  id: string
  /** Every sha256 digest the store knows for it (manifest digests it was pulled by). */
  digests: string[]
  names: string[]
}

export class ImageStore {
  constructor(private readonly podman: Podman = new Podman()) {}

  /** Pulls ref into the store; a digest in ref is checked against what arrived. */
  async pull(ref: string, opts: PullOptions = {}): Promise<PullResult> {
    const parsed = parseImageRef(ref)
    if (!isImageRef(parsed)) return { ok: false, reason: 'InvalidImageName', message: `image "${ref}": ${parsed.error}` }
    const source: ImageRef = opts.registryMirror ? { ...parsed, registry: opts.registryMirror } : parsed
    const from = formatImageRef(source)
    const insecure = isLoopbackRegistry(source.registry) || (opts.insecureRegistries ?? []).includes(source.registry)
    const r = await this.podman.run(['pull', '--quiet', ...(insecure ? ['--tls-verify=false'] : []), from], { timeoutMs: opts.timeoutMs ?? 300_000 })
    if (r.code !== 0) return { ok: false, ...classifyPullError(podmanError(r), from) }
    const id = r.stdout.trim().split('\n').pop()!.trim()
    const info = await this.inspect(id)
    if (!info) return { ok: false, reason: 'PullFailed', message: `pulled ${from} but image ${id} is not in the store` }
    if (parsed.digest && !info.digests.includes(parsed.digest)) {
      return { ok: false, reason: 'DigestMismatch', message: `pulled ${from} but its digest is ${info.digests.join(', ') || 'unknown'}, not ${parsed.digest}` }
    }
    return { ok: true, id: info.id, digests: info.digests }
  }

  /**
   * The local image for ref or a bare digest (sha256:...), if present. A digest matches whatever
   * registry the image came through, so an image pulled from a site cache counts as present.
   */
  async present(refOrDigest: string): Promise<ImageInfo | undefined> {
    const digest = /^sha256:[a-f0-9]{64}$/.test(refOrDigest) ? refOrDigest : (() => {
      const p = parseImageRef(refOrDigest)
      return isImageRef(p) ? p.digest : undefined
    })()
    if (!digest) return this.inspect(refOrDigest)
    const r = await this.podman.run(['images', '--digests', '--no-trunc', '--format', 'json'])
    if (r.code !== 0) return undefined
    let list: { Id: string; Digest?: string; RepoDigests?: string[]; Names?: string[] }[]
    try { list = JSON.parse(r.stdout || '[]') } catch { return undefined }
    const hit = list.find((i) => i.Digest === digest || (i.RepoDigests ?? []).some((d) => d.endsWith(`@${digest}`)))
    return hit ? { id: hit.Id, digests: digestsOf(hit.Digest, hit.RepoDigests), names: hit.Names ?? [] } : undefined
  }

  /** An image by id or name, if the store has it. */
  async inspect(idOrName: string): Promise<ImageInfo | undefined> {
    const r = await this.podman.run(['image', 'inspect', '--format', 'json', idOrName])
    if (r.code !== 0) return undefined
    try {
      const [img] = JSON.parse(r.stdout) as { Id: string; Digest?: string; RepoDigests?: string[]; RepoTags?: string[] }[]
      return img ? { id: img.Id, digests: digestsOf(img.Digest, img.RepoDigests), names: img.RepoTags ?? [] } : undefined
    } catch {
      return undefined
    }
  }
}

function digestsOf(digest: string | undefined, repoDigests: string[] | undefined): string[] {
  const all = new Set<string>()
  if (digest) all.add(digest)
  for (const d of repoDigests ?? []) { const at = d.indexOf('@'); if (at >= 0) all.add(d.slice(at + 1)) }
  return [...all]
}

function classifyPullError(msg: string, from: string): { reason: 'ImageNotFound' | 'RegistryUnavailable' | 'DigestMismatch' | 'PullFailed'; message: string } {
  const m = `pulling ${from}: ${msg}`
  if (/manifest unknown|not found|name unknown|repository .* not found|unauthorized: repository/i.test(msg)) return { reason: 'ImageNotFound', message: m }
  if (/connection refused|no such host|i\/o timeout|timed out|network is unreachable|pinging container registry|dial tcp/i.test(msg)) return { reason: 'RegistryUnavailable', message: m }
  if (/digest|checksum/i.test(msg)) return { reason: 'DigestMismatch', message: m }
  return { reason: 'PullFailed', message: m }
}
