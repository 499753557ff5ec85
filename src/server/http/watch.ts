// Watch: a stream of {type, object} lines, as Kubernetes sends them. The headers go out at once (a
// client waits for them before it reads anything: `kubectl wait` and informers stalled until the
// first event), `timeoutSeconds` ends the stream cleanly, and `allowWatchBookmarks` adds BOOKMARK
// events carrying the revision the watcher has seen everything up to.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../../api/errors.js'
import { parseSelector, matchesRequirements } from '../../api/labels.js'
import { parseFieldSelector, matchesFields } from '../../api/field-selector.js'
import { API_VERSION, keyOf, type Resource } from '../../api/meta.js'
import type { Store, WatchEvent } from '../../store/types.js'
import type { ResourcePath } from './resource-path.js'
import { flag, text, wholeNumber, type RawQuery } from './query.js'
import { WATCH_BUFFER_BYTES, watchBufferGuard } from './watch-guard.js'

export interface WatchDeps {
  store: Store
  streams: Set<() => void>
  /** How often a watch that allows bookmarks gets one (Kubernetes: about a minute). */
  bookmarkIntervalMs?: number
  /** Bytes a watch connection may leave unread before it is cut (default WATCH_BUFFER_BYTES). */
  watchBufferBytes?: number
}

const DEFAULT_BOOKMARK_MS = 60_000
/** The annotation Kubernetes puts on the bookmark that ends the initial events (sendInitialEvents). */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end'

/** Streams {type, object} lines: the current objects as ADDED (without resourceVersion), or history from it. */
export async function watch(deps: WatchDeps, path: ResourcePath, q: RawQuery, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { store, streams } = deps
  const labels = parseSelector(text(q, 'labelSelector'))
  const fields = parseFieldSelector(text(q, 'fieldSelector'))
  const timeoutSeconds = wholeNumber(q, 'timeoutSeconds')
  const bookmarks = flag(q, 'allowWatchBookmarks')
  const sendInitialEvents = q.sendInitialEvents === undefined ? undefined : flag(q, 'sendInitialEvents')
  const rv = text(q, 'resourceVersion')
  let from = rv ? Number(rv) : NaN
  if (rv && (!/^\d+$/.test(rv) || !Number.isSafeInteger(from))) throw new ApiError('BadRequest', `resourceVersion "${rv}" is not a revision number`)
  if (from > 0) {
    // A revision this store has not reached: answered at once (it used to hang with no headers).
    const current = await store.revision()
    if (from > current) throw new ApiError('Timeout', `Too large resource version: resourceVersion ${rv} is newer than this server's current revision ${current}; list to get a current resourceVersion, or retry later`, { retryAfterSeconds: 1, causes: [{ field: 'resourceVersion', reason: 'ResourceVersionTooLarge', message: `current revision is ${current}` }] })
  }
  if (sendInitialEvents !== undefined && !bookmarks) throw new ApiError('BadRequest', 'sendInitialEvents needs allowWatchBookmarks=true (the end of the initial events is a bookmark)')
  const initial: WatchEvent[] = []
  const complete = sendInitialEvents ?? (!rv || from === 0)
  if (complete) {
    const { items, revision } = await store.list(path.info.kind, { namespace: path.namespace, labelSelector: labels })
    for (const o of items) if (!fields.length || matchesFields(o, fields)) initial.push({ type: 'ADDED', object: o, revision })
    from = revision
  } else if (!rv) {
    from = await store.revision()
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
  /** Every event of this kind up to here has been passed to the watcher (or filtered out). */
  let seen = from
  // Events are written once per turn of the loop, together: one change to 10,000 instances was
  // 10,000 writes (and TLS records, ~30 µs each) per watcher, and as many again for their readiness.
  let out: string[] = []
  let outQueued = false
  // Set once the stream has started: bounded by what the connection leaves unread.
  let write: (chunk: string) => boolean = () => false
  const flushOut = () => {
    outQueued = false
    const chunk = out.join('')
    out = []
    if (chunk) write(chunk)
  }
  const emit = (line: string) => {
    if (!started) { lines.push(line); return }
    out.push(line)
    if (!outQueued) { outQueued = true; setImmediate(flushOut) }
  }
  const send = (ev: WatchEvent) => {
    seen = Math.max(seen, ev.revision)
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
    emit(JSON.stringify({ type, object: ev.object }) + '\n')
  }
  const bookmark = (annotations?: Record<string, string>) =>
    JSON.stringify({ type: 'BOOKMARK', object: { kind: path.info.kind, apiVersion: API_VERSION, metadata: { resourceVersion: String(seen), ...(annotations ? { annotations } : {}) } } }) + '\n'
  // Throws Compacted (410) before any byte is written when `from` is too old.
  const w = await store.watch({ kind: path.info.kind, namespace: path.namespace, fromRevision: from }, send)
  reply.hijack()
  raw.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-store' })
  raw.flushHeaders()
  // The current objects and what happened meanwhile, a few hundred lines per write.
  const first = initial.map((ev) => JSON.stringify({ type: ev.type, object: ev.object }) + '\n')
  if (sendInitialEvents && bookmarks) first.push(bookmark({ [INITIAL_EVENTS_END]: 'true' }))
  first.push(...lines)
  for (let k = 0; k < first.length; k += 256) raw.write(first.slice(k, k + 256).join(''))
  started = true
  const timers: NodeJS.Timeout[] = []
  if (bookmarks) timers.push(setInterval(() => emit(bookmark()), deps.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_MS))
  const stop = () => {
    for (const t of timers) clearTimeout(t)
    w.close()
    flushOut()
    if (!raw.writableEnded) raw.end()
  }
  write = watchBufferGuard(raw, deps.watchBufferBytes ?? WATCH_BUFFER_BYTES, stop)
  if (timeoutSeconds) timers.push(setTimeout(stop, timeoutSeconds * 1000))
  req.raw.on('close', stop)
  raw.on('error', stop)
  streams.add(stop)
  raw.on('close', () => streams.delete(stop))
}
