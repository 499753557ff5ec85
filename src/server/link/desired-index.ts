// Per-node desired documents, kept current from the Instance cache. Each change gets the store
// revision that caused it as its version, so versions only grow across server restarts; a short
// history of changes per node lets a reconnecting agent receive only what it missed.
import type { Instance } from '../../api/kinds/index.js'
import { statusOnly } from '../../api/kinds/index.js'
import type { DesiredInstance, DesiredMessage } from '../../api/link.js'
import type { WatchEvent } from '../../store/types.js'

interface Change { version: number; upsert?: DesiredInstance; remove?: string }

interface NodeDoc {
  version: number
  instances: Map<string, DesiredInstance>
  changes: Change[]
  /** Deltas are available only for agents at or above this version. */
  floor: number
}

export class DesiredIndex {
  private docs = new Map<string, NodeDoc>()
  private listeners = new Set<(node: string) => void>()

  /** baseVersion: the revision the cache was loaded at; nothing below it can be sent as a delta. */
  constructor(private baseVersion: number, private maxChanges = 512) {}

  private doc(node: string): NodeDoc {
    let d = this.docs.get(node)
    if (!d) {
      d = { version: this.baseVersion, instances: new Map(), changes: [], floor: this.baseVersion }
      this.docs.set(node, d)
    }
    return d
  }

  /** Feed from the Instance cache. Status-only updates do not change a desired document. */
  onInstanceEvent(ev: WatchEvent<Instance>, prev: Instance | undefined): void {
    const inst = ev.object
    const loading = ev.revision <= this.baseVersion
    if (ev.type === 'DELETED') {
      this.remove(inst.spec.node, inst.metadata.uid!, ev.revision, loading)
      return
    }
    if (statusOnly(prev, inst)) return
    if (prev && prev.spec.node !== inst.spec.node) this.remove(prev.spec.node, prev.metadata.uid!, ev.revision, loading)
    const d = this.doc(inst.spec.node)
    const desired = toDesired(inst)
    d.instances.set(desired.uid, desired)
    if (!loading) this.record(inst.spec.node, d, { version: ev.revision, upsert: desired })
  }

  private remove(node: string, uid: string, revision: number, loading: boolean): void {
    const d = this.doc(node)
    if (!d.instances.delete(uid)) return
    if (!loading) this.record(node, d, { version: revision, remove: uid })
  }

  private record(node: string, d: NodeDoc, change: Change): void {
    d.version = Math.max(d.version, change.version)
    d.changes.push(change)
    if (d.changes.length > this.maxChanges) {
      const dropped = d.changes.splice(0, d.changes.length - this.maxChanges)
      d.floor = dropped[dropped.length - 1].version
    }
    for (const l of this.listeners) l(node)
  }

  onChange(listener: (node: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  version(node: string): number {
    return this.docs.get(node)?.version ?? this.baseVersion
  }

  instances(node: string): DesiredInstance[] {
    return [...(this.docs.get(node)?.instances.values() ?? [])]
  }

  /** What an agent at `since` needs: nothing (undefined), a delta, or the whole document. */
  diff(node: string, since: number): DesiredMessage | undefined {
    const d = this.doc(node)
    if (since === d.version) return undefined
    if (since < d.floor || since > d.version) {
      return { t: 'desired', version: d.version, full: true, upsert: [...d.instances.values()], remove: [] }
    }
    const upsert = new Map<string, DesiredInstance>()
    const remove = new Set<string>()
    for (const c of d.changes) {
      if (c.version <= since) continue
      if (c.upsert) { upsert.set(c.upsert.uid, c.upsert); remove.delete(c.upsert.uid) }
      if (c.remove) { upsert.delete(c.remove); remove.add(c.remove) }
    }
    return { t: 'desired', version: d.version, full: false, base: since, upsert: [...upsert.values()], remove: [...remove] }
  }
}

export function toDesired(inst: Instance): DesiredInstance {
  return {
    uid: inst.metadata.uid!,
    namespace: inst.metadata.namespace ?? 'default',
    name: inst.metadata.name,
    app: inst.spec.app,
    revision: inst.spec.revision,
    template: inst.spec.template,
    ...(inst.spec.sessionKey ? { sessionKey: inst.spec.sessionKey } : {}),
    ...(inst.spec.slots ? { slots: inst.spec.slots } : {}),
  }
}
