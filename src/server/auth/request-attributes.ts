// What an HTTP request asks to do, in the terms roles are written in (roles.ts).
import { parseResourcePath } from '../http/resource-path.js'
import type { Attributes } from './roles.js'

const RESOURCE_PREFIX = '/apis/edgeplane.io/v1/'
export const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET': case 'HEAD': return named ? 'get' : watch ? 'watch' : 'list'
    case 'POST': return 'create'
    case 'PUT': return 'update'
    case 'PATCH': return 'patch'
    case 'DELETE': return named ? 'delete' : 'deletecollection'
    default: return method.toLowerCase()
  }
}

/** `route` is the matched route's pattern, `path` the request's path, `query` its parsed query. */
export function attributesOf(method: string, route: string, path: string, query: Record<string, unknown>): Attributes {
  if (path.startsWith(RESOURCE_PREFIX)) {
    const p = parseResourcePath(path.slice(RESOURCE_PREFIX.length))
    const resource = p.sub ? `${p.info.plural}/${p.sub}` : p.info.plural
    const watch = query.watch === 'true' || query.watch === '1'
    return { verb: verbOf(method, p.name !== undefined || p.sub !== undefined, watch), resource, namespace: p.namespace }
  }
  if (route === SSAR_PATH) return { verb: 'create', resource: 'selfsubjectaccessreviews' }
  if (route.startsWith('/v1/tokens')) return { verb: verbOf(method, route !== '/v1/tokens', false), resource: 'tokens' }
  if (route.startsWith('/v1/sessions')) {
    return { verb: route.endsWith('/renew') ? 'update' : verbOf(method, route !== '/v1/sessions', false), resource: 'sessions' }
  }
  if (route === '/v1/route' || route === '/v1/demand') return { verb: 'get', resource: 'routes' }
  // Kubernetes-shaped doors onto our own kinds: the same permissions as the kind behind them.
  const ns = /^\/api(?:s\/apps)?\/v1\/namespaces\/([^/]+)\//.exec(path)?.[1]
  if (route.startsWith('/api/v1/') && route.endsWith('/events')) {
    return { verb: verbOf(method, false, query.watch === 'true' || query.watch === '1'), resource: 'events', namespace: ns }
  }
  if (route.startsWith('/apis/apps/v1/namespaces/')) return { verb: verbOf(method, route.endsWith('/:name'), false), resource: 'apps', namespace: ns }
  // A whole manifest may name any namespace: creating Apps in every namespace (admin, operator).
  if (route === '/v1/import') return { verb: 'create', resource: 'apps' }
  return { verb: method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(), path }
}
