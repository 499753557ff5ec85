// One site's pool of an app's session instances, and the only writer of its slots: allocation is a
// synchronous step on this object, so two requests can never take the same slot, and there is no
// optimistic-lock retry storm (the store write that follows cannot conflict on the slot). Counts
// are kept as slots change, so allocating and sizing cost O(instances), not O(slots). The pool
// says when it gains or loses its last free ready slot, so the service can keep, per app, the set
// of sites with a warm slot instead of asking every site's pool on each allocation.

import type { Clock } from '../lib/clock.js'
import { DrainRate } from './drain-rate.js'

export interface PoolInstance {
  name: string
  node: string
  address: string
  port: number
  ready: boolean
  /** Session id per slot, or null when free. */
  slots: (string | null)[]
  /** Free slot indexes (a stack: the lowest index ends up on top). */
  freeSlots: number[]
  /** When it last had no session (for scale-down), ms. */
  idleSince?: number
}

export class Pool {
  readonly instances = new Map<string, PoolInstance>()
  /** Callers waiting for a slot (cold start), first come first served. */
  readonly waiters: { sessionId: string; resolve: (slot: { instance: PoolInstance; slot: number } | undefined) => void }[] = []
  /** Slots taken lately (warm and cold): the pool keeps that many warm (drain-rate.ts). */
  readonly drain = new DrainRate()
  private activeCount = 0
  private readyFree = 0

  /** `onWarm(true)` when the pool gets its first free ready slot, `onWarm(false)` when it loses its last. */
  constructor(readonly appKey: string, readonly site: string, private onWarm?: (warm: boolean) => void) {}

  private addReadyFree(delta: number): void {
    if (!delta) return
    const was = this.readyFree > 0
    this.readyFree += delta
    if (was !== this.readyFree > 0) this.onWarm?.(!was)
  }

  /** Keeps slot assignments across updates; a resized instance keeps the slots that still exist. */
  upsert(i: Omit<PoolInstance, 'slots' | 'freeSlots' | 'idleSince'> & { slotCount: number }, now: number): void {
    const prev = this.instances.get(i.name)
    const before = prev?.ready ? prev.freeSlots.length : 0
    if (prev && prev.slots.length === i.slotCount) {
      Object.assign(prev, { node: i.node, address: i.address, port: i.port, ready: i.ready })
      this.addReadyFree((i.ready ? prev.freeSlots.length : 0) - before)
      return
    }
    if (prev) this.activeCount -= prev.slots.length - prev.freeSlots.length
    const slots = Array.from({ length: i.slotCount }, (_, k) => prev?.slots[k] ?? null)
    const freeSlots: number[] = []
    for (let k = slots.length - 1; k >= 0; k--) if (slots[k] === null) freeSlots.push(k)
    this.activeCount += slots.length - freeSlots.length
    this.instances.set(i.name, { name: i.name, node: i.node, address: i.address, port: i.port, ready: i.ready, slots, freeSlots, idleSince: prev?.idleSince ?? now })
    this.addReadyFree((i.ready ? freeSlots.length : 0) - before)
  }

  /** Removes an instance; returns the sessions it was hosting. */
  remove(name: string): string[] {
    const inst = this.instances.get(name)
    this.instances.delete(name)
    const sessions = (inst?.slots ?? []).filter((s): s is string => s !== null)
    this.activeCount -= sessions.length
    if (inst?.ready) this.addReadyFree(-inst.freeSlots.length)
    return sessions
  }

  /**
   * A free slot on a ready instance. Busy instances are filled first (bin packing), so idle ones can
   * be stopped when demand falls.
   */
  take(sessionId: string): { instance: PoolInstance; slot: number } | undefined {
    let best: PoolInstance | undefined
    for (const i of this.instances.values()) {
      if (!i.ready || !i.freeSlots.length) continue
      if (!best || i.freeSlots.length < best.freeSlots.length || (i.freeSlots.length === best.freeSlots.length && i.name < best.name)) best = i
    }
    if (!best) return undefined
    const slot = best.freeSlots.pop()!
    best.slots[slot] = sessionId
    best.idleSince = undefined
    this.activeCount++
    this.addReadyFree(-1)
    return { instance: best, slot }
  }

  /** Puts back a known assignment (at start, from persisted sessions). */
  assign(instance: string, slot: number, sessionId: string): boolean {
    const i = this.instances.get(instance)
    if (!i || slot >= i.slots.length) return false
    if (i.slots[slot] === sessionId) return true
    if (i.slots[slot] !== null) return false
    i.slots[slot] = sessionId
    i.freeSlots.splice(i.freeSlots.indexOf(slot), 1)
    i.idleSince = undefined
    this.activeCount++
    if (i.ready) this.addReadyFree(-1)
    return true
  }

  free(instance: string, slot: number, sessionId: string, now: number): void {
    const i = this.instances.get(instance)
    if (!i || i.slots[slot] !== sessionId) return
    i.slots[slot] = null
    i.freeSlots.push(slot)
    this.activeCount--
    if (i.ready) this.addReadyFree(1)
    if (i.freeSlots.length === i.slots.length) i.idleSince = now
  }

  /** Waits up to `ms` for a slot (a cold start), first come first served; undefined at the deadline. */
  wait(sessionId: string, ms: number, clock: Clock, onTimeout: () => void): Promise<{ instance: PoolInstance; slot: number } | undefined> {
    return new Promise((resolve) => {
      const waiter = { sessionId, resolve: (v: { instance: PoolInstance; slot: number } | undefined) => { timer.cancel(); resolve(v) } }
      const timer = clock.setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        resolve(undefined)
        onTimeout()
      }, ms)
      this.waiters.push(waiter)
    })
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

  get active(): number { return this.activeCount }

  get busyInstances(): number {
    let n = 0
    for (const i of this.instances.values()) if (i.freeSlots.length < i.slots.length) n++
    return n
  }

  get freeReadySlots(): number { return this.readyFree }
}

/**
 * Instances a pool should have: enough for its sessions, its waiting callers and the warm slots,
 * capped; never fewer than the instances that host a session. The warm slots are warmPerSite, or
 * as many as were taken in the last drain window when that is more (`recent`): refill ahead of demand.
 */
export function desiredInstances(pool: { active: number; waiting: number; busyInstances: number; recent?: number }, cfg: { slotsPerInstance: number; warmPerSite: number; maxPerSite: number }): number {
  const warm = Math.max(cfg.warmPerSite, pool.recent ?? 0)
  const want = Math.ceil((pool.active + pool.waiting + warm) / cfg.slotsPerInstance)
  return Math.max(pool.busyInstances, Math.min(cfg.maxPerSite, want))
}
