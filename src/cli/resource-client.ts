// Typed calls on the resource API, built from the kind registry (what the server serves).
import { ApiError } from '../api/errors.js'
import { kindInfo, resolveKind, type KindInfo } from '../api/kinds/index.js'
import type { Resource } from '../api/meta.js'
import { HttpClient } from '../lib/http-client.js'

export interface ListQuery { namespace?: string; allNamespaces?: boolean; labelSelector?: string; fieldSelector?: string }

export function kindOrThrow(name: string): KindInfo {
  const k = resolveKind(name)
  if (!k) throw new ApiError('UnknownKind', `unknown resource type "${name}" (try sites, nodes, apps, revisions, instances, events)`)
  return k
}

export class ResourceClient {
  constructor(readonly http: HttpClient) {}

  path(k: KindInfo, namespace: string | undefined, name?: string, sub?: string): string {
    const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
    return `/apis/edgeplane.io/v1${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ''}${sub ? `/${sub}` : ''}`
  }

  async list<T extends Resource = Resource>(k: KindInfo, q: ListQuery = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const params = new URLSearchParams()
    if (q.labelSelector) params.set('labelSelector', q.labelSelector)
    if (q.fieldSelector) params.set('fieldSelector', q.fieldSelector)
    const qs = params.size ? `?${params}` : ''
    const res = (await this.http.request('GET', this.path(k, q.allNamespaces ? undefined : q.namespace ?? 'default') + qs)) as { items: T[]; metadata: { resourceVersion: string } }
    return { items: res.items, resourceVersion: res.metadata.resourceVersion }
  }

  async get<T extends Resource = Resource>(k: KindInfo, namespace: string | undefined, name: string): Promise<T> {
    return (await this.http.request('GET', this.path(k, namespace ?? 'default', name))) as T
  }

  /** Server-side apply: creates or updates; tells which. */
  async apply(obj: Resource): Promise<{ obj: Resource; action: 'created' | 'configured' | 'unchanged' }> {
    const k = kindInfo(obj.kind)
    if (!k || k.internal) throw new ApiError('UnknownKind', `unknown kind "${obj.kind}"`)
    const ns = k.namespaced ? obj.metadata?.namespace ?? 'default' : undefined
    let before: string | undefined
    try { before = (await this.get(k, ns, obj.metadata.name)).metadata.resourceVersion } catch (e) { if (!(e instanceof ApiError && e.code === 'NotFound')) throw e }
    const res = (await this.http.request('PATCH', this.path(k, ns, obj.metadata.name), obj, undefined, 'application/apply-patch+yaml')) as Resource
    const action = before === undefined ? 'created' : before === res.metadata.resourceVersion ? 'unchanged' : 'configured'
    return { obj: res, action }
  }

  async delete(k: KindInfo, namespace: string | undefined, name: string): Promise<Resource> {
    return (await this.http.request('DELETE', this.path(k, namespace ?? 'default', name))) as Resource
  }

  async logs(namespace: string, name: string, opts: { follow?: boolean; tailLines?: number }, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const params = new URLSearchParams()
    if (opts.follow) params.set('follow', 'true')
    if (opts.tailLines !== undefined) params.set('tailLines', String(opts.tailLines))
    const k = kindInfo('Instance')!
    return this.http.stream(`${this.path(k, namespace, name, 'log')}${params.size ? `?${params}` : ''}`, signal)
  }
}
