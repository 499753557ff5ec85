// One site's pool of an app's session instances, and the only writer of its slots: allocation is a
// synchronous step on this object, so two requests can never take the same slot, and there is no
// optimistic-lock retry storm (the store write that follows cannot conflict on the slot).

export interface PoolInstance {
  name: string
  node: string
  address: string
  port: number
  ready: boolean
  /** Session id per slot, or null when free. */
  slots: (string | null)[]
  /** When it last had no session (for scale-down), ms. */
  idleSince?: number
}

export class Pool {
  readonly instances = new Map<string, PoolInstance>()
  /** Callers waiting for a slot (cold start), first come first served. */
  readonly waiters: { sessionId: string; resolve: (slot: { instance: PoolInstance; slot: number } | undefined) => void }[] = []

  constructor(readonly appKey: string, readonly site: string) {}

  /** Keeps slot assignments across updates; a resized instance keeps the slots that still exist. */
  upsert(i: Omit<PoolInstance, 'slots' | 'idleSince'> & { slotCount: number }, now: number): void {
    const prev = this.instances.get(i.name)
    const slots = Array.from({ length: i.slotCount }, (_, k) => prev?.slots[k] ?? null)
    this.instances.set(i.name, { name: i.name, node: i.node, address: i.address, port: i.port, ready: i.ready, slots, idleSince: prev?.idleSince ?? now })
  }

  /** Removes an instance; returns the sessions it was hosting. */
  remove(name: string): string[] {
    const inst = this.instances.get(name)
    this.instances.delete(name)
    return (inst?.slots ?? []).filter((s): s is string => s !== null)
  }

  /**
   * A free slot on a ready instance. Busy instances are filled first (bin packing), so idle ones can
   * be stopped when demand falls.
   */
  take(sessionId: string): { instance: PoolInstance; slot: number } | undefined {
    let best: PoolInstance | undefined
    let bestFree = Infinity
    for (const i of this.instances.values()) {
      if (!i.ready) continue
      const free = i.slots.filter((s) => s === null).length
      if (free > 0 && (free < bestFree || (free === bestFree && best && i.name < best.name))) { best = i; bestFree = free }
    }
    if (!best) return undefined
    const slot = best.slots.indexOf(null)
    best.slots[slot] = sessionId
    best.idleSince = undefined
    return { instance: best, slot }
  }

  /** Puts back a known assignment (at start, from persisted sessions). */
  assign(instance: string, slot: number, sessionId: string): boolean {
    const i = this.instances.get(instance)
    if (!i || slot >= i.slots.length || (i.slots[slot] !== null && i.slots[slot] !== sessionId)) return false
    i.slots[slot] = sessionId
    i.idleSince = undefined
    return true
  }

  free(instance: string, slot: number, sessionId: string, now: number): void {
    const i = this.instances.get(instance)
    if (!i || i.slots[slot] !== sessionId) return
    i.slots[slot] = null
    if (i.slots.every((s) => s === null)) i.idleSince = now
  }

  /** Hands free slots to waiting callers; returns how many were served. */
  serveWaiters(): number {
    let served = 0
    while (this.waiters.length) {
      const w = this.waiters[0]
      const got = this.take(w.sessionId)
      if (!got) break
      this.waiters.shift()
      w.resolve(got)
      served++
    }
    return served
  }

  get active(): number {
    let n = 0
    for (const i of this.instances.values()) for (const s of i.slots) if (s !== null) n++
    return n
  }

  get freeReadySlots(): number {
    let n = 0
    for (const i of this.instances.values()) if (i.ready) for (const s of i.slots) if (s === null) n++
    return n
  }
}

/**
 * Instances a pool should have: enough for its sessions, its waiting callers and the warm slots,
 * capped; never fewer than the instances that host a session.
 */
export function desiredInstances(pool: { active: number; waiting: number; busyInstances: number }, cfg: { slotsPerInstance: number; warmPerSite: number; maxPerSite: number }): number {
  const want = Math.ceil((pool.active + pool.waiting + cfg.warmPerSite) / cfg.slotsPerInstance)
  return Math.max(pool.busyInstances, Math.min(cfg.maxPerSite, want))
}
