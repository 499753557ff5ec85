// The resource API: list/get/create/replace/apply/delete and watch on every public kind, with
// Kubernetes semantics (resourceVersion compare-and-swap, status subresource, List objects,
// dryRun=All, paged lists).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseSelector } from '../../api/labels.js'
import { parseFieldSelector, matchesFields } from '../../api/field-selector.js'
import { mergePatch } from '../../api/merge-patch.js'
import { strategicMergePatch } from '../../api/strategic-merge.js'
import { applyJsonPatch } from './json-patch.js'
import { API_VERSION, type Resource } from '../../api/meta.js'
import { kindInfo } from '../../api/kinds/index.js'
import { deepEqual } from '../../lib/equal.js'
import { validateResource } from '../../api/validate.js'
import type { Store, WriteOptions } from '../../store/types.js'
import { parseResourcePath, type ResourcePath } from './resource-path.js'
import { parseBody, parseJsonBody } from './body.js'
import type { LogStreamer } from './logs.js'
import { admittingStore } from '../registry/allow-list.js'
import { tableAnswer } from './table.js'
import { checkFieldValidation, dryRunOf, flag, text, wholeNumber, type RawQuery } from './query.js'
import { watch } from './watch.js'
import { ListSnapshots } from './list-pages.js'
import { scaleRequest } from './scale.js'
import { serverSideApply, withUpdateRecorded } from './server-side-apply.js'
import { hasImmutableSpec, refuseSpecChange } from './immutable.js'

const PREFIX = '/apis/edgeplane.io/v1/'

/** What PATCH takes; said in full by the 415 for anything else (kubectl's default is strategic merge). */
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']

export interface ResourceDeps {
  store: Store
  logs: LogStreamer
  /** Open watch streams; the server ends them when it closes. */
  streams: Set<() => void>
  /** Registries container images may come from (undefined: any). */
  allowedRegistries?: string[]
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (default a minute). */
  bookmarkIntervalMs?: number
  /** The clock of list snapshots (continue tokens). */
  now?: () => number
  /** Objects as the links know them now (src/server/http/live-status.ts), for Table answers. */
  live?: (o: Resource) => Resource
  /** Bytes a watch connection may leave unread before it is cut (default WATCH_BUFFER_BYTES). */
  watchBufferBytes?: number
}

export function registerResourceRoutes(app: FastifyInstance, deps: ResourceDeps): void {
  const { logs, live } = deps
  // Writes go through the admission checks that need server configuration (the registry allow-list).
  const store = admittingStore(deps.store, deps.allowedRegistries)
  const pages = new ListSnapshots({ now: deps.now })
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${PREFIX}*`,
    handler: async (req, reply) => {
      const rest = (req.params as { '*': string })['*']
      const path = parseResourcePath(rest)
      const q = req.query as RawQuery
      if (path.sub === 'log') {
        if (req.method !== 'GET') throw new ApiError('MethodNotAllowed', 'logs are read with GET')
        const tailLines = wholeNumber(q, 'tailLines')
        return logs.stream(req, reply, path.namespace!, path.name!, { follow: flag(q, 'follow'), tailLines })
      }
      if (path.info.readOnly && req.method !== 'GET' && req.method !== 'DELETE') throw new ApiError('MethodNotAllowed', path.info.readOnly)
      const w: WriteOptions = {}
      if (req.method !== 'GET') {
        w.dryRun = dryRunOf(q)
        checkFieldValidation(q)
      }
      // As kube-apiserver does, a write without fieldManager is managed under its client's name
      // (the User-Agent up to "/"); only kubectl's are recorded, so other clients' objects stay lean.
      const ua = String(req.headers['user-agent'] ?? '')
      const manager = text(q, 'fieldManager') ?? (ua.startsWith('kubectl') ? ua.split('/')[0] : undefined)
      const now = deps.now ?? Date.now
      if (path.sub === 'scale') return scaleRequest(store, path, req, reply, w, manager, now)
      // Table answers (kubectl get) live in their own file.
      const table = await tableAnswer(store, path, req, live)
      if (table) return table
      switch (req.method) {
        case 'GET':
          if (path.name === undefined) return flag(q, 'watch') ? watch(deps, path, q, req, reply) : list(store, pages, path, q, reply)
          return getOne(store, path)
        case 'POST':
          if (path.name !== undefined) throw new ApiError('MethodNotAllowed', 'POST creates: send it to the collection, without a name')
          reply.code(201)
          return create(store, path, withUpdateRecorded({ path, now }, undefined, checkBody(path, parseBody(req)), manager), w)
        case 'PUT':
          requireName(path)
          if (path.sub === 'status') return store.update(checkBody(path, parseBody(req)), { ...w, subresource: 'status' })
          return replace(store, path, withUpdateRecorded({ path, now }, manager ? await store.get(path.info.kind, path.namespace, path.name!) : undefined, checkBody(path, parseBody(req)), manager), w)
        case 'PATCH': {
          requireName(path)
          const ct = String(req.headers['content-type'] ?? '')
          if (ct.startsWith('application/apply-patch')) {
            // With a field manager (kubectl apply --server-side): real server-side apply. Without
            // one (edgeplane's own CLI): the apply replaces everything the caller owns.
            const { created, obj } = text(q, 'fieldManager')
              ? await serverSideApply({ store, path, check: (b) => checkBody(path, b), now }, parseBody(req), text(q, 'fieldManager')!, flag(q, 'force'), w)
              : await apply(store, path, parseBody(req), w)
            reply.code(created ? 201 : 200)
            return obj
          }
          if (ct.startsWith('application/merge-patch+json')) return patch(store, path, (cur) => mergePatch(cur, parseBody(req)), w)
          if (ct.startsWith('application/strategic-merge-patch+json')) return patch(store, path, (cur) => strategicMergePatch(cur, parseJsonBody(req), path.info.schema as Record<string, unknown>), w)
          if (ct.startsWith('application/json-patch+json')) return patch(store, path, (cur) => applyJsonPatch(cur, parseJsonBody(req)), w)
          throw unsupportedPatch(ct)
        }
        case 'DELETE': {
          requireName(path)
          const opts = deleteOptions(parseOptionalBody(req))
          return store.delete(path.info.kind, path.namespace, path.name!, { resourceVersion: opts.resourceVersion, dryRun: w.dryRun || opts.dryRun })
        }
      }
      throw new ApiError('MethodNotAllowed', `${req.method} is not supported here`)
    },
  })
}

export function unsupportedPatch(ct: string): ApiError {
  return new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format ("${ct || 'no content type'}"): PATCH takes ${PATCH_TYPES.join(', ')}`)
}

/** A DeleteOptions body: its preconditions and its dryRun (kubectl may send either way). */
function deleteOptions(body: unknown): { resourceVersion?: string; dryRun: boolean } {
  if (body === undefined) return { dryRun: false }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError('BadRequest', 'a DELETE body must be a DeleteOptions object')
  const b = body as { preconditions?: { resourceVersion?: string }; dryRun?: unknown }
  const dryRun = b.dryRun === undefined ? false : dryRunOf({ dryRun: Array.isArray(b.dryRun) ? b.dryRun.map(String) : String(b.dryRun) })
  return { resourceVersion: b.preconditions?.resourceVersion, dryRun }
}

function requireName(path: ResourcePath): void {
  if (path.name === undefined) throw new ApiError('MethodNotAllowed', `name the ${path.info.singular}: ${PREFIX}…/${path.info.plural}/{name}`)
}

function parseOptionalBody(req: FastifyRequest): unknown {
  return req.body === undefined || req.body === null || req.body === '' ? undefined : parseBody(req)
}

async function list(store: Store, pages: ListSnapshots, path: ResourcePath, q: RawQuery, reply: FastifyReply) {
  const fields = parseFieldSelector(text(q, 'fieldSelector'))
  const labels = parseSelector(text(q, 'labelSelector'))
  const limit = wholeNumber(q, 'limit')
  const token = text(q, 'continue')
  let page: { items: string[]; revision: number; continue?: string; remainingItemCount?: number }
  if (token) {
    const key = `${path.info.kind}/${path.namespace ?? ''}/${text(q, 'labelSelector') ?? ''}/${text(q, 'fieldSelector') ?? ''}`
    page = pages.next(key, token, limit || undefined, await store.compactedRevision())
  } else if (!fields.length && !labels.length) {
    // Nothing to filter: the objects go out as stored, never parsed.
    page = await store.listJson(path.info.kind, { namespace: path.namespace })
  } else {
    const { items, revision } = await store.list(path.info.kind, { namespace: path.namespace, labelSelector: labels })
    page = { items: (fields.length ? items.filter((o) => matchesFields(o, fields)) : items).map((o) => JSON.stringify(o)), revision }
  }
  if (!token && limit) {
    const key = `${path.info.kind}/${path.namespace ?? ''}/${text(q, 'labelSelector') ?? ''}/${text(q, 'fieldSelector') ?? ''}`
    page = pages.first(key, page.revision, page.items, limit)
  }
  const metadata = { resourceVersion: String(page.revision), ...(page.continue ? { continue: page.continue, remainingItemCount: page.remainingItemCount } : {}) }
  const h = JSON.stringify({ kind: `${path.info.kind}List`, apiVersion: API_VERSION, metadata })
  reply.type('application/json; charset=utf-8')
  return `${h.slice(0, -1)},"items":[${page.items.join(',')}]}`
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

async function create(store: Store, path: ResourcePath, body: unknown, w: WriteOptions): Promise<Resource> {
  const obj = checkBody(path, body)
  return store.create(path.info.hasStatus ? withoutStatus(obj) : obj, w)
}

async function replace(store: Store, path: ResourcePath, body: unknown, w: WriteOptions): Promise<Resource> {
  const obj = checkBody(path, body)
  if (hasImmutableSpec(obj.kind)) refuseSpecChange(await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name), obj)
  return store.update(obj, w)
}

/** Server-side apply, simplified: create, or replace everything the user owns (not status). */
async function apply(store: Store, path: ResourcePath, body: unknown, w: WriteOptions): Promise<{ created: boolean; obj: Resource }> {
  const obj = checkBody(path, body)
  for (let attempt = 0; ; attempt++) {
    const current = await store.get(path.info.kind, path.namespace, path.name!)
    if (!current) {
      try {
        return { created: true, obj: await store.create(path.info.hasStatus ? withoutStatus(obj) : obj, w) }
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
      return { created: false, obj: await store.update(next, w) }
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

/** A merge or JSON patch on the stored object, validated whole; retried on our own races. */
async function patch(store: Store, path: ResourcePath, change: (current: Resource) => unknown, w: WriteOptions): Promise<Resource> {
  for (let attempt = 0; ; attempt++) {
    const current = await getOne(store, path)
    const sentVersion = current.metadata.resourceVersion
    const obj = checkBody(path, change(structuredClone(current)))
    // A patch that names a resourceVersion is a compare-and-swap; one that does not is retried.
    const pinned = obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== sentVersion
    refuseSpecChange(current, obj)
    try {
      return await store.update(obj, w)
    } catch (err) {
      if (attempt < 3 && !pinned && err instanceof ApiError && err.code === 'Conflict') continue
      throw err
    }
  }
}
