// What a hello does to the store: the node's Site exists (created from the agent's flags when new)
// and its Node carries the agent's address, labels and capacity.
import { API_VERSION } from '../../api/meta.js'
import { ApiError, isApiError } from '../../api/errors.js'
import type { Node, Site } from '../../api/kinds/index.js'
import type { HelloMessage } from '../../api/link.js'
import type { Store } from '../../store/types.js'

export const REGISTERED_BY = 'edgeplane.io/registered-by'

/**
 * What the server already knows (its caches): a reconnecting agent whose Site and Node are unchanged
 * costs no store read. A cache that lags the store only costs a retry: the write conflicts, and the
 * retry reads the store.
 */
export interface Known {
  site?: (name: string) => Site | undefined
  node?: (name: string) => Node | undefined
}

export async function registerSite(store: Store, hello: HelloMessage, known: Known = {}): Promise<void> {
  const reg = hello.site
  const spec: Site['spec'] = { region: reg.region, provider: reg.provider, tier: reg.tier, ...(reg.geo ? { geo: reg.geo } : {}) }
  const labels = { ...(reg.labels ?? {}), 'edgeplane.io/region': reg.region, 'edgeplane.io/provider': reg.provider, 'edgeplane.io/tier': reg.tier }
  await retryConflicts(async (attempt) => {
    const current = (attempt === 0 ? known.site?.(reg.name) : undefined) ?? await store.get<Site>('Site', undefined, reg.name)
    if (!current) {
      const site: Site = { apiVersion: API_VERSION, kind: 'Site', metadata: { name: reg.name, labels, annotations: { [REGISTERED_BY]: 'agent' } }, spec }
      await store.create(site)
      return
    }
    // A site the operator declared is theirs: agents do not rewrite it.
    if (current.metadata.annotations?.[REGISTERED_BY] !== 'agent') return
    const nextLabels = { ...(current.metadata.labels ?? {}), ...labels }
    const nextSpec = { ...current.spec, ...spec }
    if (JSON.stringify(nextSpec) === JSON.stringify(current.spec) && JSON.stringify(nextLabels) === JSON.stringify(current.metadata.labels)) return
    await store.update({ ...current, metadata: { ...current.metadata, labels: nextLabels }, spec: nextSpec })
  })
}

export async function registerNode(store: Store, hello: HelloMessage, known: Known = {}): Promise<void> {
  const labels = { ...(hello.labels ?? {}), 'edgeplane.io/site': hello.site.name }
  const spec = { site: hello.site.name, address: hello.address }
  await retryConflicts(async (attempt) => {
    const current = (attempt === 0 ? known.node?.(hello.node) : undefined) ?? await store.get<Node>('Node', undefined, hello.node)
    if (!current) {
      await store.create<Node>({ apiVersion: API_VERSION, kind: 'Node', metadata: { name: hello.node, labels }, spec })
      return
    }
    if (current.spec.site !== hello.site.name) {
      throw new ApiError('Forbidden', `node "${hello.node}" belongs to site "${current.spec.site}", not "${hello.site.name}"`)
    }
    const nextSpec = { ...current.spec, ...spec }
    const nextLabels = { ...(current.metadata.labels ?? {}), ...labels }
    if (JSON.stringify(nextSpec) === JSON.stringify(current.spec) && JSON.stringify(nextLabels) === JSON.stringify(current.metadata.labels)) return
    await store.update({ ...current, metadata: { ...current.metadata, labels: nextLabels }, spec: nextSpec })
  })
}

export async function retryConflicts<T>(fn: (attempt: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn(i)
    } catch (err) {
      if (i + 1 >= attempts || !(isApiError(err, 'Conflict') || isApiError(err, 'AlreadyExists'))) throw err
    }
  }
}
