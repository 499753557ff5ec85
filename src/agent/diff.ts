// The pure core of the agent's reconcile: what to start, stop and keep. An instance's identity is
// the uid the control plane gave it; a changed template always comes as a new uid.
import type { DesiredInstance } from '../api/link.js'

export interface InstanceDiff {
  add: DesiredInstance[]
  remove: string[]
  keep: string[]
}

export function diffInstances(existing: Iterable<string>, desired: DesiredInstance[]): InstanceDiff {
  const have = new Set(existing)
  const want = new Map(desired.map((d) => [d.uid, d]))
  return {
    add: [...want.values()].filter((d) => !have.has(d.uid)),
    remove: [...have].filter((uid) => !want.has(uid)),
    keep: [...have].filter((uid) => want.has(uid)),
  }
}

/** Applies a desired message to the document the agent holds; returns undefined when it cannot. */
export function applyDesired(
  current: { version: number; instances: DesiredInstance[] },
  msg: { version: number; full: boolean; base?: number; upsert: DesiredInstance[]; remove: string[] },
): { version: number; instances: DesiredInstance[] } | undefined {
  if (msg.full) return { version: msg.version, instances: msg.upsert }
  if (msg.base !== current.version) return undefined
  const byUid = new Map(current.instances.map((i) => [i.uid, i]))
  for (const uid of msg.remove) byUid.delete(uid)
  for (const i of msg.upsert) byUid.set(i.uid, i)
  return { version: msg.version, instances: [...byUid.values()] }
}
