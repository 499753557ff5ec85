// Revision objects: one immutable snapshot per distinct template of an App, numbered in order of
// appearance, pruned beyond the history limit (never the current or the last good one). They are
// what a rollback returns to and what `rollout undo` reads.
import { isApiError } from '../../api/errors.js'
import type { App, Instance, Revision, Template } from '../../api/kinds/index.js'
import { API_VERSION } from '../../api/meta.js'
import type { Cache } from '../../store/cache.js'
import type { Store } from '../../store/types.js'
import { pinTemplate, type DigestResolver } from './image-pinning.js'

export const REVISION_APP_LABEL = 'edgeplane.io/app'

export function revisionName(app: string, revision: string): string {
  return `${app}-${revision}`.slice(-253)
}

export class Revisions {
  constructor(private store: Store, private cache: Cache<Revision>, private resolveDigest?: DigestResolver) {}

  of(app: App): Revision[] {
    return this.cache.list()
      .filter((r) => r.metadata.namespace === app.metadata.namespace && r.spec.app === app.metadata.name)
      .sort((a, b) => a.spec.number - b.spec.number)
  }

  /**
   * Makes sure the template's revision exists (a container image pinned to its digest when it is
   * made; ImageResolveError when the registry cannot say); prunes old ones. Returns the template
   * instances of this revision run.
   */
  async ensure(app: App, revision: string, keep: string[], limit: number): Promise<Template> {
    const mine = this.of(app)
    let current = mine.find((r) => r.spec.revision === revision)?.spec.template
    if (!current) {
      const number = (mine[mine.length - 1]?.spec.number ?? 0) + 1
      const t = app.spec.template
      current = await pinTemplate(t, this.resolveDigest)
      const digest = current.image?.split('@')[1]
      const rev: Revision = {
        apiVersion: API_VERSION, kind: 'Revision',
        metadata: { name: revisionName(app.metadata.name, revision), namespace: app.metadata.namespace, labels: { [REVISION_APP_LABEL]: app.metadata.name } },
        spec: { app: app.metadata.name, revision, number, template: current, ...(t.image && digest ? { image: { requested: t.image, digest } } : {}) },
      }
      try {
        await this.store.create(rev)
        mine.push(rev)
      } catch (err) {
        if (!isApiError(err, 'AlreadyExists')) throw err
      }
    }
    const prunable = mine.filter((r) => !keep.includes(r.spec.revision) && r.spec.revision !== revision)
    for (const r of prunable.slice(0, Math.max(0, mine.length - limit))) {
      await this.store.delete('Revision', r.metadata.namespace, r.metadata.name).catch(() => undefined)
    }
    return current
  }

  /** The template of a revision: its Revision object, else any instance still running it. */
  templateOf(app: App, revision: string, instances: Instance[]): Template | undefined {
    return this.cache.get(app.metadata.namespace, revisionName(app.metadata.name, revision))?.spec.template
      ?? instances.find((i) => i.spec.revision === revision)?.spec.template
  }

  numberOf(app: App, revision: string): number | undefined {
    return this.cache.get(app.metadata.namespace, revisionName(app.metadata.name, revision))?.spec.number
  }

  async deleteAll(namespace: string, app: string): Promise<void> {
    for (const r of this.cache.list().filter((x) => x.metadata.namespace === namespace && x.spec.app === app)) {
      await this.store.delete('Revision', r.metadata.namespace, r.metadata.name).catch(() => undefined)
    }
  }
}
