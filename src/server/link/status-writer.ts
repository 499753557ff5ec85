// Writes what agents report about their instances into Instance status. Reports are coalesced per
// instance (only the latest matters) and skipped when they change nothing. Whatever is pending is
// written as one batch of concurrent writes, which the store commits together (SQLite: one
// transaction and one fsync for the batch instead of one per report; each write still returns only
// once it is durable). A write that lost a compare-and-swap race is retried from the fresh object.
import type { Instance, InstanceStatus } from '../../api/kinds/index.js'
import type { InstanceReport } from '../../api/link.js'
import type { Logger } from '../../lib/log.js'
import type { Cache } from '../../store/cache.js'
import type { Store } from '../../store/types.js'
import { isApiError } from '../../api/errors.js'
import { deepEqual } from '../../lib/equal.js'

export class StatusWriter {
  /** Keyed by node and uid: one node's reports never displace another's (only the owner's get written). */
  private pending = new Map<string, { node: string; report: InstanceReport }>()
  private byUid = new Map<string, string>() // uid → namespace/name
  private running = false
  private idle: (() => void)[] = []

  constructor(private store: Store, private instances: Cache<Instance>, private log: Logger, private batchSize = 512) {
    // The cache is usually loaded already: its instances get no ADDED event from here on.
    for (const i of instances.list()) this.byUid.set(i.metadata.uid!, `${i.metadata.namespace}/${i.metadata.name}`)
    instances.on((ev) => {
      const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`
      if (ev.type === 'DELETED') this.byUid.delete(ev.object.metadata.uid!)
      else this.byUid.set(ev.object.metadata.uid!, key)
    })
  }

  instanceByUid(uid: string): Instance | undefined {
    const key = this.byUid.get(uid)
    if (!key) return undefined
    const [ns, name] = key.split('/')
    return this.instances.get(ns, name)
  }

  /** Queues reports from `node`; reports about instances of other nodes are refused and logged. */
  submit(node: string, reports: InstanceReport[]): void {
    for (const r of reports) this.pending.set(`${node}\u0000${r.uid}`, { node, report: r })
    if (!this.running) void this.drain()
  }

  /** Resolves when every queued report has been written (for tests and shutdown). */
  flushed(): Promise<void> {
    if (!this.running && !this.pending.size) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  private async drain(): Promise<void> {
    this.running = true
    try {
      while (this.pending.size) {
        const batch: [string, { node: string; report: InstanceReport }][] = []
        for (const entry of this.pending) {
          batch.push(entry)
          if (batch.length >= this.batchSize) break
        }
        for (const [key] of batch) this.pending.delete(key)
        // One entry per node and uid: no two writes of a batch touch the same instance.
        await Promise.all(batch.map(([key, item]) => this.write(item.node, item.report).catch((err) => {
          if (isApiError(err, 'Conflict') && !this.pending.has(key)) {
            // Someone else wrote the instance in between (the cache has it by now): write it again.
            this.pending.set(key, item)
            return
          }
          this.log.warn({ err, uid: item.report.uid }, 'instance status write failed')
        })))
      }
    } finally {
      this.running = false
      for (const r of this.idle.splice(0)) r()
    }
  }

  private async write(node: string, r: InstanceReport): Promise<void> {
    const inst = this.instanceByUid(r.uid)
    if (!inst) return // deleted meanwhile: the agent will stop it
    if (inst.spec.node !== node) {
      this.log.warn({ node, instance: inst.metadata.name, owner: inst.spec.node }, 'node reported an instance that is not its own; ignored')
      return
    }
    const next: InstanceStatus = {
      phase: r.phase, ready: r.ready, restarts: r.restarts, node: inst.spec.node, site: inst.spec.site, endpoints: r.endpoints,
      ...(r.pid !== undefined ? { pid: r.pid } : {}),
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
      ...(r.message ? { message: r.message } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
    }
    if (sameStatus(inst.status, next)) return
    try {
      await this.store.update({ ...inst, status: next }, { subresource: 'status' })
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err
    }
  }
}

function sameStatus(a: InstanceStatus | undefined, b: InstanceStatus): boolean {
  if (!a) return false
  const { updatedAt: _x, ...ra } = a
  const { updatedAt: _y, ...rb } = b
  return deepEqual(ra, rb)
}
