// Release control: only images from the registries the operator allows may be applied. Checked at
// admission, so anything else is a clear 422 naming the field and the allowed registries.
import { ApiError } from '../../api/errors.js'
import { isImageRef, parseImageRef } from '../../api/image-ref.js'
import type { App } from '../../api/kinds/index.js'
import type { Resource } from '../../api/meta.js'
import type { Store } from '../../store/types.js'

/** A registry host[:port]; "*" allows every registry (the default when no list is given). */
export function parseAllowedRegistries(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined
  const list = v.split(',').map((s) => s.trim()).filter(Boolean)
  return list.includes('*') ? undefined : list
}

/** Throws a 422 when an App's container image comes from a registry not in the list. */
export function checkImageRegistry(obj: Resource, allowed: string[] | undefined): void {
  if (obj.kind !== 'App' || !allowed) return
  const t = (obj as App).spec?.template
  if (t?.runtime !== 'container' || !t.image) return
  const ref = parseImageRef(t.image)
  if (!isImageRef(ref)) return // the schema check names it
  if (allowed.includes(ref.registry)) return
  const field = 'spec.template.image'
  throw new ApiError('Invalid', `${field}: registry "${ref.registry}" is not allowed on this server (allowed: ${allowed.join(', ') || 'none'}; see --allowed-registries)`, {
    kind: 'App', name: obj.metadata?.name, causes: [{ field, reason: 'FieldValueForbidden', message: `registry "${ref.registry}" is not in the allow-list` }],
  })
}

/** The store as the resource API writes through it, with the registry check before every App create or update. */
export function admittingStore(store: Store, allowed: string[] | undefined): Store {
  if (!allowed) return store
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'create' || prop === 'update') {
        const fn = Reflect.get(target, prop, receiver) as (obj: Resource, ...rest: unknown[]) => Promise<Resource>
        return (obj: Resource, ...rest: unknown[]) => {
          const status = (rest[0] as { subresource?: string } | undefined)?.subresource === 'status'
          if (!status) checkImageRegistry(obj, allowed)
          return fn.call(target, obj, ...rest)
        }
      }
      const v = Reflect.get(target, prop, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}
