// Events where kubectl describe looks for them: /api/v1/namespaces/{ns}/events with a field
// selector on involvedObject.*. Our Events already have the core v1 Event's fields; they are served
// read-only under apiVersion v1. An event that names no uid matches any involvedObject.uid (the
// controllers name objects, and describe asks by uid too).
import type { FastifyInstance } from 'fastify'
import { parseFieldSelector, matchesFields } from '../../api/field-selector.js'
import { parseSelector } from '../../api/labels.js'
import type { Store } from '../../store/types.js'
import { text, type RawQuery } from './query.js'

export function registerCoreEventRoutes(app: FastifyInstance, store: Store): void {
  app.get('/api', async () => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }))
  app.get('/api/v1', async () => ({
    kind: 'APIResourceList', groupVersion: 'v1',
    resources: [{ name: 'events', singularName: 'event', namespaced: true, kind: 'Event', shortNames: ['ev'], verbs: ['get', 'list'] }],
  }))
  const list = async (namespace: string | undefined, q: RawQuery) => {
    const fields = parseFieldSelector(text(q, 'fieldSelector'))
    const uid = fields.find((f) => f.path.join('.') === 'involvedObject.uid' && !f.negate)
    const rest = fields.filter((f) => f !== uid)
    const { items, revision } = await store.list('Event', { namespace, labelSelector: parseSelector(text(q, 'labelSelector')) })
    const matching = items.filter((e) => {
      if (!matchesFields(e, rest)) return false
      const have = (e as { involvedObject?: { uid?: string } }).involvedObject?.uid
      return !uid || !have || have === uid.value
    })
    return { kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items: matching.map((e) => ({ ...e, apiVersion: 'v1' })) }
  }
  app.get('/api/v1/namespaces/:namespace/events', async (req) => list((req.params as { namespace: string }).namespace, req.query as RawQuery))
  app.get('/api/v1/events', async (req) => list(undefined, req.query as RawQuery))
}
