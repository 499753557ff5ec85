import { Type, Strict, envelope, type Static } from './common.js'
import { TemplateSchema } from './app.js'
import type { ObjectMeta } from '../meta.js'

// An immutable snapshot of an App's template: what rollouts move sites between and undo returns to.
export const RevisionSpecSchema = Type.Object({
  app: Type.String(),
  /** The template's content hash (also the suffix of the name). */
  revision: Type.String(),
  /** 1, 2, 3… per app, in the order revisions appeared. */
  number: Type.Integer({ minimum: 1 }),
  /** The template as it runs: a container image is pinned to registry/repository@digest. */
  template: TemplateSchema,
  /** Container templates: the image as written in the App and the digest it was pinned to when this Revision was made. */
  image: Type.Optional(Type.Object({ requested: Type.String(), digest: Type.String() }, Strict)),
}, Strict)

export const RevisionSchema = envelope('Revision', RevisionSpecSchema, Type.Object({}, Strict))
export type RevisionSpec = Static<typeof RevisionSpecSchema>
export interface Revision { apiVersion: string; kind: 'Revision'; metadata: ObjectMeta; spec: RevisionSpec }
