// OCI image references: [registry[:port]/]repository[:tag][@sha256:digest]. Parsed the way the
// docker/distribution reference grammar does: the first component is a registry when it has a dot,
// a colon or is "localhost"; otherwise the image lives on docker.io.

export interface ImageRef {
  /** host[:port] of the registry. */
  registry: string
  repository: string
  tag?: string
  /** sha256:<64 hex> */
  digest?: string
}

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/

/** The reference parsed, or a message saying what is wrong with it. */
export function parseImageRef(ref: string): ImageRef | { error: string } {
  if (!ref || ref.length > 512) return { error: 'an image reference is 1 to 512 characters' }
  let rest = ref
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST_PATTERN.test(digest)) return { error: `"${digest}" is not a digest (sha256: and 64 lower-case hex digits)` }
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return { error: `"${tag}" is not a valid tag` }
  }
  const parts = rest.split('/')
  let registry = 'docker.io'
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost' || parts[0].startsWith('['))) {
    registry = parts.shift()!
    if (!HOST.test(registry)) return { error: `"${registry}" is not a registry host[:port]` }
  }
  if (!parts.length || parts.some((p) => !COMPONENT.test(p))) return { error: `"${rest}" is not a repository name (lower-case components separated by /)` }
  let repository = parts.join('/')
  if (registry === 'docker.io' && parts.length === 1) repository = `library/${repository}`
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }
}

export function isImageRef(r: ImageRef | { error: string }): r is ImageRef {
  return !('error' in r)
}

/** registry/repository[:tag][@digest] */
export function formatImageRef(r: ImageRef): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`
}

/** The reference pinned to a digest (the tag is dropped: the digest alone names the bytes). */
export function pinnedRef(r: ImageRef, digest: string): string {
  return `${r.registry}/${r.repository}@${digest}`
}

/** Whether a registry host is on this machine (served over plain HTTP in tests and the demo). */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}
