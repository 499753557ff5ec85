// Objects whose spec may not change once written (a Revision is a snapshot of a template, named by
// its content hash: changing it in place would make the name lie and undo return to something else).
import { ApiError } from '../../api/errors.js'
import type { Resource } from '../../api/meta.js'
import { deepEqual } from '../../lib/equal.js'

const IMMUTABLE_SPEC = new Set(['Revision'])

/** Throws 422 (spec: FieldValueForbidden) when `next` changes the spec of an immutable `current`. */
export function refuseSpecChange(current: Resource | undefined, next: Resource): void {
  if (!current || !IMMUTABLE_SPEC.has(next.kind)) return
  if (deepEqual((current as { spec?: unknown }).spec, (next as { spec?: unknown }).spec)) return
  throw new ApiError('Invalid', `${next.kind} "${next.metadata.name}" is immutable: its spec cannot change (a changed App template makes a new Revision); only labels and annotations may`, {
    kind: next.kind, name: next.metadata.name, causes: [{ field: 'spec', reason: 'FieldValueForbidden', message: 'field is immutable' }],
  })
}

export function hasImmutableSpec(kind: string): boolean { return IMMUTABLE_SPEC.has(kind) }
