// In-memory driver: for unit tests of logic and for hollow components; same contract as SQLite.
import type { Resource } from '../../api/meta.js'
import type { Backend, Mutation } from '../backend.js'
import type { WatchEvent } from '../types.js'

export class MemoryBackend implements Backend {
  readonly driver = 'memory'
  private objects = new Map<string, Map<string, Resource>>()
  private log: WatchEvent[] = []
  private rev = 0
  private compacted = 0

  private table(kind: string): Map<string, Resource> {
    let t = this.objects.get(kind)
    if (!t) { t = new Map(); this.objects.set(kind, t) }
    return t
  }

  async get(kind: string, namespace: string, name: string): Promise<Resource | undefined> {
    const o = this.table(kind).get(`${namespace}/${name}`)
    return o && structuredClone(o)
  }

  async list(kind: string, namespace: string | undefined): Promise<{ items: Resource[]; revision: number }> {
    const items = [...this.table(kind).entries()]
      .filter(([, o]) => namespace === undefined || (o.metadata.namespace ?? '') === namespace)
      // By namespace, then name (as SQL's ORDER BY namespace, name): sorting the joined "ns/name"
      // key would put namespace "a-b" before "a", since '-' sorts before '/'.
      .map(([, o]) => o)
      .sort((a, b) => cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name, b.metadata.name))
      .map((o) => structuredClone(o))
    return { items, revision: this.rev }
  }

  async listJson(kind: string, namespace: string | undefined): Promise<{ items: string[]; revision: number }> {
    const { items, revision } = await this.list(kind, namespace)
    return { items: items.map((o) => JSON.stringify(o)), revision }
  }

  async commit(kind: string, namespace: string, name: string, mutate: Mutation): Promise<WatchEvent> {
    const key = `${namespace}/${name}`
    const prev = this.table(kind).get(key)
    const ev = mutate(prev && structuredClone(prev), this.rev + 1)
    const stored = structuredClone(ev.object)
    this.rev = ev.revision
    if (ev.type === 'DELETED') this.table(kind).delete(key)
    else this.table(kind).set(key, stored)
    this.log.push({ ...ev, object: stored })
    return { ...ev, object: structuredClone(stored) }
  }

  async history(after: number, kind: string | undefined): Promise<WatchEvent[]> {
    return this.log.filter((e) => e.revision > after && (!kind || e.object.kind === kind)).map((e) => ({ ...e, object: structuredClone(e.object) }))
  }

  async revision(): Promise<number> { return this.rev }
  async compactedRevision(): Promise<number> { return this.compacted }

  async compact(revision: number): Promise<void> {
    const upTo = Math.min(revision, this.rev)
    if (upTo <= this.compacted) return
    this.log = this.log.filter((e) => e.revision > upTo)
    this.compacted = upTo
  }

  async close(): Promise<void> {}
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
