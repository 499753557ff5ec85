// Resolves an image tag to its manifest digest over the OCI distribution API, once, when a Revision
// is made: HEAD (then GET) /v2/<repo>/manifests/<tag> with the manifest media types in Accept, the
// digest from Docker-Content-Digest (or the sha256 of the body). Anonymous bearer tokens are
// fetched when the registry asks for them. Loopback registries are spoken to over plain HTTP.
import { createHash } from 'node:crypto'
import { isImageRef, isLoopbackRegistry, parseImageRef, DIGEST_PATTERN } from '../../api/image-ref.js'
import { ImageResolveError, type DigestResolver } from '../../controllers/app/image-pinning.js'

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

export interface RegistryClientOptions {
  /** Registries spoken to over plain HTTP besides loopback ones. */
  insecureRegistries?: string[]
  timeoutMs?: number
}

export function registryDigestResolver(o: RegistryClientOptions = {}): DigestResolver {
  const timeoutMs = o.timeoutMs ?? 10_000
  return async (image: string): Promise<string> => {
    const ref = parseImageRef(image)
    if (!isImageRef(ref)) throw new ImageResolveError('InvalidImageName', `image "${image}": ${ref.error}`)
    if (ref.digest) return ref.digest
    const registry = ref.registry === 'docker.io' ? 'registry-1.docker.io' : ref.registry
    const scheme = isLoopbackRegistry(registry) || (o.insecureRegistries ?? []).includes(ref.registry) ? 'http' : 'https'
    const url = `${scheme}://${registry}/v2/${ref.repository}/manifests/${ref.tag ?? 'latest'}`
    let auth: string | undefined
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const method of ['HEAD', 'GET'] as const) {
        let res: Response
        try {
          res = await fetch(url, { method, headers: { Accept: MANIFEST_TYPES, ...(auth ? { Authorization: auth } : {}) }, signal: AbortSignal.timeout(timeoutMs) })
        } catch (err) {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause
          throw new ImageResolveError('RegistryUnavailable', `registry ${ref.registry} is unreachable (${cause?.code ?? cause?.message ?? (err as Error).message}) resolving ${image}`)
        }
        if (res.status === 401 && !auth && attempt === 0) {
          auth = await anonymousToken(res.headers.get('www-authenticate'), timeoutMs)
          if (auth) break
        }
        if (res.status === 404) throw new ImageResolveError('ImageNotFound', `image ${image} not found in registry ${ref.registry} (manifest unknown)`)
        if (!res.ok) {
          if (method === 'HEAD' && res.status === 405) continue
          throw new ImageResolveError(res.status >= 500 ? 'RegistryUnavailable' : 'RegistryError', `registry ${ref.registry} answered ${res.status} resolving ${image}`)
        }
        const header = res.headers.get('docker-content-digest')
        if (header && DIGEST_PATTERN.test(header)) return header
        if (method === 'GET') return `sha256:${createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')}`
      }
    }
    throw new ImageResolveError('RegistryError', `registry ${ref.registry} refused access to ${image} (401)`)
  }
}

/** A Bearer challenge answered without credentials (public images). */
async function anonymousToken(challenge: string | null, timeoutMs: number): Promise<string | undefined> {
  if (!challenge || !/^Bearer /i.test(challenge)) return undefined
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
  if (!params.realm) return undefined
  const u = new URL(params.realm)
  if (params.service) u.searchParams.set('service', params.service)
  if (params.scope) u.searchParams.set('scope', params.scope)
  try {
    const r = await fetch(u, { signal: AbortSignal.timeout(timeoutMs) })
    if (!r.ok) return undefined
    const body = await r.json() as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    return token ? `Bearer ${token}` : undefined
  } catch {
    return undefined
  }
}
