// Reads a Kubernetes-style resource path below /apis/edgeplane.io/v1/.
import { ApiError } from '../../api/errors.js'
import { publicKinds, type KindInfo } from '../../api/kinds/index.js'

export interface ResourcePath {
  info: KindInfo
  namespace?: string
  name?: string
  sub?: 'status' | 'log' | 'scale'
}

const byPlural = new Map(publicKinds().map((k) => [k.plural, k]))

/** `rest` is the router's wildcard parameter, already percent-decoded (decoding again would fail on "%25…"). */
export function parseResourcePath(rest: string): ResourcePath {
  const parts = rest.split('/').filter(Boolean)
  let namespace: string | undefined
  if (parts[0] === 'namespaces') {
    if (parts.length < 3) throw new ApiError('NotFound', `no resource at "${rest}": use namespaces/{namespace}/{plural}`)
    namespace = parts[1]
    parts.splice(0, 2)
  }
  const [plural, name, sub, ...extra] = parts
  const info = plural ? byPlural.get(plural) : undefined
  if (!info) throw new ApiError('UnknownKind', `the server has no resource type "${plural ?? ''}" (served: ${[...byPlural.keys()].join(', ')})`)
  if (namespace !== undefined && !info.namespaced) throw new ApiError('NotFound', `${info.kind} is cluster-scoped: use /apis/edgeplane.io/v1/${info.plural}`)
  if (extra.length || (sub !== undefined && sub !== 'status' && sub !== 'log' && sub !== 'scale')) throw new ApiError('NotFound', `no subresource "${[sub, ...extra].join('/')}" on ${info.plural}`)
  if (sub === 'status' && !info.hasStatus) throw new ApiError('NotFound', `${info.plural} have no status subresource`)
  if (sub === 'log' && info.kind !== 'Instance') throw new ApiError('NotFound', 'only instances have logs')
  if (sub === 'scale' && info.kind !== 'App') throw new ApiError('NotFound', 'only apps have a scale subresource')
  if (info.namespaced && name !== undefined && namespace === undefined) namespace = 'default'
  return { info, namespace, name, sub: sub as ResourcePath['sub'] }
}
