// A container template's image is pinned to a digest once, when its Revision is made: every site
// then runs the same bytes and `rollout undo` returns to them. The resolver (the server's registry
// client) is injected; without one, templates are kept as written.
import { isImageRef, parseImageRef, pinnedRef } from '../../api/image-ref.js'
import type { App, Template } from '../../api/kinds/index.js'
import { getCondition, setCondition, type Condition } from '../../api/meta.js'
import { isApiError } from '../../api/errors.js'
import type { Clock } from '../../lib/clock.js'
import type { Store } from '../../store/types.js'
import type { EventRecorder } from '../events.js'

/** image reference → sha256 digest; throws ImageResolveError. */
export type DigestResolver = (image: string) => Promise<string>

export class ImageResolveError extends Error {
  constructor(readonly reason: 'InvalidImageName' | 'ImageNotFound' | 'RegistryUnavailable' | 'RegistryError', message: string) {
    super(message)
  }
}

/** The template with its image as registry/repository@digest (unchanged for a process or an already pinned image). */
export async function pinTemplate(t: Template, resolve: DigestResolver | undefined): Promise<Template> {
  if (t.runtime !== 'container' || !t.image || !resolve) return t
  const ref = parseImageRef(t.image)
  if (!isImageRef(ref)) throw new ImageResolveError('InvalidImageName', `image "${t.image}": ${ref.error}`)
  if (ref.digest) return { ...t, image: pinnedRef(ref, ref.digest) }
  const digest = await resolve(t.image)
  return { ...t, image: pinnedRef(ref, digest) }
}

/** The condition once the current template's Revision exists again. */
export function imageResolved(app: App): Condition {
  return { type: 'ImageResolved', status: 'True', reason: 'Pinned', message: `${app.spec.template.image ?? ''} pinned to its digest` }
}

/**
 * Says on the App why its new template has no Revision: condition ImageResolved=False and a
 * Warning event (once per distinct message, not on every retry).
 */
export async function imageUnresolved(o: { store: Store; clock: Clock; events: EventRecorder }, app: App, err: ImageResolveError): Promise<void> {
  const prev = getCondition(app.status?.conditions, 'ImageResolved')
  if (prev?.status === 'False' && prev.reason === err.reason && prev.message === err.message) return
  o.events.record(app, 'Warning', err.reason === 'ImageNotFound' ? 'ImageNotFound' : 'ImageResolveFailed', err.message)
  const now = new Date(o.clock.now()).toISOString()
  const conditions = setCondition(app.status?.conditions, { type: 'ImageResolved', status: 'False', reason: err.reason, message: err.message }, now)
  try {
    await o.store.update({ ...app, status: { replicas: 0, readyReplicas: 0, ...app.status, conditions } }, { subresource: 'status' })
  } catch (e) {
    if (!isApiError(e, 'NotFound') && !isApiError(e, 'Conflict')) throw e
  }
}
