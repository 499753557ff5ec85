// The resource API: list/get/create/replace/apply/delete and watch on every public kind, with
// Kubernetes semantics (resourceVersion compare-and-swap, status subresource, List objects).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseSelector, matchesRequirements } from '../../api/labels.js'
import { parseFieldSelector, matchesFields } from '../../api/field-selector.js'
import { mergePatch } from '../../api/merge-patch.js'
import { API_VERSION, keyOf, type Resource } from '../../api/meta.js'
import { kindInfo } from '../../api/kinds/index.js'
import { deepEqual } from '../../lib/equal.js'
import { validateResource } from '../../api/validate.js'
import type { Store, WatchEvent } from '../../store/types.js'
import { parseResourcePath, type ResourcePath } from './resource-path.js'
import { parseBody } from './body.js'
import type { LogStreamer } from './logs.js'
import { hasImmutableSpec, refuseSpecChange } from './immutable.js'
import { WATCH_BUFFER_BYTES, watchBufferGuard } from './watch-guard.js'

const PREFIX = '/apis/edgeplane.io/v1/'

interface Query { labelSelector?: string; fieldSelector?: string; watch?: string; resourceVersion?: string; follow?: string; tailLines?: string }

export interface ResourceDeps {
  store: Store
  logs: LogStreamer
  /** Open watch streams; the server ends them when it closes. */
  streams: Set<() => void>
  /** Bytes a watch connection may leave unread before it is cut (default WATCH_BUFFER_BYTES). */
  watchBufferBytes?: number
}

export function registerResourceRoutes(app: FastifyInstance, { store, logs, streams, watchBufferBytes }: ResourceDeps): void {
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${PREFIX}*`,
    handler: async (req, reply) => {
      const rest = (req.params as { '*': string })['*']
      const path = parseResourcePath(rest)
      const q = req.query as Query
      if (path.sub === 'log') {
        if (req.method !== 'GET') throw new ApiError('MethodNotAllowed', 'logs are read with GET')
        const tailLines = q.tailLines === undefined ? undefined : Number(q.tailLines)
        if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 0)) throw new ApiError('BadRequest', `tailLines "${q.tailLines}" is not a whole number of lines`)
        return logs.stream(req, reply, path.namespace!, path.name!, { follow: isTrue(q.follow), tailLines })
      }
      if (path.info.readOnly && req.method !== 'GET' && req.method !== 'DELETE') throw new ApiError('MethodNotAllowed', path.info.readOnly)
      switch (req.method) {
        case 'GET':
          if (path.name === undefined) return isTrue(q.watch) ? watch(store, path, q, req, reply, streams, watchBufferBytes) : list(store, path, q, reply)
          return getOne(store, path)
        case 'POST':
          if (path.name !== undefined) throw new ApiError('MethodNotAllowed', 'POST creates: send it to the collection, without a name')
          reply.code(201)
          return create(store, path, parseBody(req))
        case 'PUT':
          requireName(path)
          return path.sub === 'status' ? replaceStatus(store, path, parseBody(req)) : replace(store, path, parseBody(req))
        case 'PATCH': {
          requireName(path)
          const ct = String(req.headers['content-type'] ?? '')
          if (ct.startsWith('application/apply-patch')) {
            const { created, obj } = await apply(store, path, parseBody(req))
            reply.code(created ? 201 : 200)
            return obj
          }
          if (ct.startsWith('application/merge-patch+json')) return patch(store, path, parseBody(req))
          throw new ApiError('UnsupportedMediaType', `PATCH takes application/apply-patch+yaml or application/merge-patch+json, not "${ct}"`)
        }
        case 'DELETE':
          requireName(path)
          return store.delete(path.info.kind, path.namespace, path.name!, { resourceVersion: (parseOptionalBody(req) as { preconditions?: { resourceVersion?: string } })?.preconditions?.resourceVersion })
      }
      throw new ApiError('MethodNotAllowed', `${req.method} is not supported here`)
    },
  })
}

function isTrue(v: string | undefined): boolean {
  return v === 'true' || v === '1' || v === ''
}

function requireName(path: ResourcePath): void {
  if (path.name === undefined) throw new ApiError('MethodNotAllowed', `name the ${path.info.singular}: ${PREFIX}…/${path.info.plural}/{name}`)
}

function parseOptionalBody(req: FastifyRequest): unknown {
  return req.body === undefined || req.body === null || req.body === '' ? undefined : parseBody(req)
}

async function list(store: Store, path: ResourcePath, q: Query, reply: FastifyReply) {
  const fields = parseFieldSelector(q.fieldSelector)
  const labels = parseSelector(q.labelSelector)
  const head = (revision: number) => ({ kind: `${path.info.kind}List`, apiVersion: API_VERSION, metadata: { resourceVersion: String(revision) } })
  if (!fields.length && !labels.length) {
    // Nothing to filter: the objects go out as stored, never parsed (the same bytes as below).
    const { items, revision } = await store.listJson(path.info.kind, { namespace: path.namespace })
    const h = JSON.stringify(head(revision))
    reply.type('application/json; charset=utf-8')
    return `${h.slice(0, -1)},"items":[${items.join(',')}]}`
  }
  const { items, revision } = await store.list(path.info.kind, { namespace: path.namespace, labelSelector: labels })
  return { ...head(revision), items: fields.length ? items.filter((o) => matchesFields(o, fields)) : items }
}

async function getOne(store: Store, path: ResourcePath): Promise<Resource> {
  const obj = await store.get(path.info.kind, path.namespace, path.name!)
  if (!obj) throw new ApiError('NotFound', `${path.info.singular} "${path.name}" not found${path.info.namespaced ? ` in namespace "${path.namespace}"` : ''}`, { kind: path.info.kind, name: path.name })
  return obj
}

/** Validates a body for this path: kind and namespace must agree with the URL. */
function checkBody(path: ResourcePath, body: unknown): Resource {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Partial<Resource>
    if (b.kind !== undefined && b.kind !== path.info.kind) {
      // A kind the server does not serve is reported as such (UnknownKind), not as a mismatch.
      const other = typeof b.kind === 'string' ? kindInfo(b.kind) : undefined
      if (!other || other.internal) throw new ApiError('UnknownKind', `unknown kind "${String(b.kind)}" (the URL is for ${path.info.plural}, kind ${path.info.kind})`, { kind: String(b.kind) })
      throw new ApiError('BadRequest', `the body is a ${b.kind} but the URL is for ${path.info.plural}`)
    }
    if (path.namespace && b.metadata && typeof b.metadata === 'object') {
      if (b.metadata.namespace && b.metadata.namespace !== path.namespace) throw new ApiError('BadRequest', `metadata.namespace "${b.metadata.namespace}" does not match the URL's namespace "${path.namespace}"`)
      b.metadata.namespace = path.namespace
    }
  }
  const obj = validateResource(body)
  if (path.name !== undefined && obj.metadata.name !== path.name) throw new ApiError('BadRequest', `metadata.name "${obj.metadata.name}" does not match the URL's name "${path.name}"`)
  return obj
}

function withoutStatus(obj: Resource): Resource {
  const { status: _s, ...rest } = obj
  return rest as Resource
}

async function create(store: Store, path: ResourcePath, body: unknown): Promise<Resource> {
  const obj = checkBody(path, body)
  return store.create(path.info.hasStatus ? withoutStatus(obj) : obj)
}

async function replace(store: Store, path: ResourcePath, body: unknown): Promise<Resource> {
  const obj = checkBody(path, body)
  if (hasImmutableSpec(obj.kind)) refuseSpecChange(await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name), obj)
  return store.update(obj)
}

async function replaceStatus(store: Store, path: ResourcePath, body: unknown): Promise<Resource> {
  const obj = checkBody(path, body)
  return store.update(obj, { subresource: 'status' })
}

/** Server-side apply, simplified: create, or replace everything the user owns (not status). */
async function apply(store: Store, path: ResourcePath, body: unknown): Promise<{ created: boolean; obj: Resource }> {
  const obj = checkBody(path, body)
  for (let attempt = 0; ; attempt++) {
    const current = await store.get(path.info.kind, path.namespace, path.name!)
    if (!current) {
      try {
        return { created: true, obj: await store.create(path.info.hasStatus ? withoutStatus(obj) : obj) }
      } catch (err) {
        if (attempt < 3 && err instanceof ApiError && err.code === 'AlreadyExists') continue
        throw err
      }
    }
    const next: Resource = { ...obj, metadata: { ...obj.metadata, resourceVersion: obj.metadata.resourceVersion ?? current.metadata.resourceVersion } }
    refuseSpecChange(current, next)
    // Compared structurally: the same content with its keys in another order is no change.
    if (deepEqual(withoutStatus(stripServerMeta(current)), withoutStatus(stripServerMeta(next)))) return { created: false, obj: current }
    try {
      return { created: false, obj: await store.update(next) }
    } catch (err) {
      // Retry only our own race; a stale version the caller sent is theirs to resolve.
      if (attempt < 3 && err instanceof ApiError && err.code === 'Conflict' && obj.metadata.resourceVersion === undefined) continue
      throw err
    }
  }
}

function stripServerMeta(o: Resource): Resource {
  const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, ...meta } = o.metadata
  return { ...o, metadata: meta as Resource['metadata'] }
}

async function patch(store: Store, path: ResourcePath, body: unknown): Promise<Resource> {
  for (let attempt = 0; ; attempt++) {
    const current = await getOne(store, path)
    const merged = mergePatch(current, body) as Resource
    const obj = checkBody(path, merged)
    refuseSpecChange(current, obj)
    try {
      return await store.update(obj)
    } catch (err) {
      if (attempt < 3 && err instanceof ApiError && err.code === 'Conflict' && (body as Resource)?.metadata?.resourceVersion === undefined) continue
      throw err
    }
  }
}

/** Streams {type, object} lines: the current objects as ADDED (without resourceVersion), or history from it. */
async function watch(store: Store, path: ResourcePath, q: Query, req: FastifyRequest, reply: FastifyReply, streams: Set<() => void>, bufferBytes = WATCH_BUFFER_BYTES): Promise<void> {
  const labels = parseSelector(q.labelSelector)
  const fields = parseFieldSelector(q.fieldSelector)
  let from = q.resourceVersion ? Number(q.resourceVersion) : NaN
  if (q.resourceVersion && (!Number.isInteger(from) || from < 0)) throw new ApiError('BadRequest', `resourceVersion "${q.resourceVersion}" is not a revision number`)
  if (from > 0) {
    // A revision this store has not reached: answered at once (it used to hang with no headers).
    const current = await store.revision()
    if (from > current) throw new ApiError('Timeout', `Too large resource version: resourceVersion ${q.resourceVersion} is newer than this server's current revision ${current}; list to get a current resourceVersion, or retry later`, { retryAfterSeconds: 1, causes: [{ field: 'resourceVersion', reason: 'ResourceVersionTooLarge', message: `current revision is ${current}` }] })
  }
  const initial: WatchEvent[] = []
  const complete = !q.resourceVersion || from === 0
  if (complete) {
    const { items, revision } = await store.list(path.info.kind, { namespace: path.namespace, labelSelector: labels })
    for (const o of items) if (!fields.length || matchesFields(o, fields)) initial.push({ type: 'ADDED', object: o, revision })
    from = revision
  }
  const matchesSel = (o: Resource) => matchesRequirements(o.metadata.labels, labels) && (!fields.length || matchesFields(o, fields))
  const filtered = labels.length > 0 || fields.length > 0
  // With a selector, what the watcher holds is the set of matching objects: an object that stops
  // matching is DELETED for it, and one that starts matching is ADDED (as Kubernetes does). From a
  // list we know that set exactly; from a resourceVersion only what we have sent since.
  const held = new Set(initial.map((ev) => keyOf(ev.object)))
  const raw = reply.raw
  const lines: string[] = []
  let started = false
  // Events are written once per turn of the loop, together: one change to 10,000 instances was
  // 10,000 writes (and TLS records, ~30 µs each) per watcher, and as many again for their readiness.
  let out: string[] = []
  let outQueued = false
  const flushOut = () => {
    outQueued = false
    const text = out.join('')
    out = []
    if (text) write(text)
  }
  // Set once the stream has started: bounded by what the connection leaves unread.
  let write: (text: string) => boolean = () => false
  const send = (ev: WatchEvent) => {
    let type = ev.type
    if (filtered) {
      const k = keyOf(ev.object)
      if (ev.type !== 'DELETED' && matchesSel(ev.object)) {
        if (ev.type === 'MODIFIED' && !held.has(k) && complete) type = 'ADDED'
        held.add(k)
      } else if (held.delete(k)) type = 'DELETED'
      // Not held: the watcher never had it — unless, watching from a resourceVersion, it is a
      // matching object deleted before we sent anything about it.
      else if (complete || ev.type !== 'DELETED' || !matchesSel(ev.object)) return
    }
    const line = JSON.stringify({ type, object: ev.object }) + '\n'
    if (!started) { lines.push(line); return }
    out.push(line)
    if (!outQueued) { outQueued = true; setImmediate(flushOut) }
  }
  // Throws Compacted (410) before any byte is written when `from` is too old.
  const w = await store.watch({ kind: path.info.kind, namespace: path.namespace, fromRevision: from }, send)
  reply.hijack()
  raw.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-store' })
  // The current objects and what happened meanwhile, a few hundred lines per write.
  const first = initial.map((ev) => JSON.stringify({ type: ev.type, object: ev.object }) + '\n').concat(lines)
  for (let k = 0; k < first.length; k += 256) raw.write(first.slice(k, k + 256).join(''))
  started = true
  const stop = () => { w.close(); raw.end() }
  write = watchBufferGuard(raw, bufferBytes, stop)
  req.raw.on('close', stop)
  raw.on('error', stop)
  streams.add(stop)
  raw.on('close', () => streams.delete(stop))
}
