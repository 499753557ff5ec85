// Applies the desired document to this node: one supervisor per desired instance, started (or
// re-adopted from its persisted handle), and stopped when the instance leaves the document.
// Ports are allocated here and persisted, so a re-adopted instance keeps the ports it listens on.
import { join, resolve } from 'node:path'
import type { DesiredInstance, InstanceReport } from '../api/link.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import { capLogFile } from './runtime/log-files.js'
import type { PortAllocator } from './runtime/ports.js'
import { StartFailure, type RuntimeDriver } from './runtime/driver.js'
import { InstanceSupervisor, type SupervisorStatus } from './supervisor/instance-supervisor.js'
import { diffInstances } from './diff.js'
import { endpointsOf, instanceEnv } from './instance-env.js'
import type { LocalState } from './local-state.js'
import type { RestartBackoff } from './supervisor/backoff.js'

export interface ReconcilerOptions {
  state: LocalState
  driver: RuntimeDriver
  /** The driver of runtime: container templates (made when first needed). */
  containerDriver?: () => RuntimeDriver
  ports: PortAllocator
  clock: Clock
  log: Logger
  node: string
  site: string
  address: string
  logDir: string
  maxLogBytes: number
  /** Where relative workingDir paths resolve. */
  baseDir: string
  onStatus: (uid: string) => void
  restartBackoff?: Partial<RestartBackoff>
}

interface Managed {
  desired: DesiredInstance
  sup: InstanceSupervisor
  ports: Record<string, number>
  logFile: string
}

export class Reconciler {
  private managed = new Map<string, Managed>()
  private stopping = new Map<string, Promise<void>>()
  private chain: Promise<void> = Promise.resolve()

  constructor(private o: ReconcilerOptions) {}

  /** Serialised: each call sees the effects of the previous one. */
  apply(desired: DesiredInstance[]): Promise<void> {
    this.chain = this.chain.then(() => this.applyNow(desired)).catch((err) => this.o.log.error({ err }, 'reconcile failed'))
    return this.chain
  }

  private async applyNow(desired: DesiredInstance[]): Promise<void> {
    const diff = diffInstances(this.managed.keys(), desired)
    for (const uid of diff.remove) this.stopInstance(uid)
    for (const d of diff.add) await this.startInstance(d)
    // Records of instances no longer desired nor managed (e.g. removed while the agent was down).
    const st = this.o.state.state
    let dirty = false
    for (const uid of Object.keys(st.running)) {
      if (!this.managed.has(uid) && !this.stopping.has(uid)) { delete st.running[uid]; dirty = true }
    }
    if (dirty) this.o.state.save()
  }

  private async startInstance(d: DesiredInstance): Promise<void> {
    const st = this.o.state.state
    const record = st.running[d.uid]
    const ports: Record<string, number> = {}
    for (const p of d.template.ports ?? []) {
      const kept = record?.ports[p.name]
      if (kept !== undefined && record?.handle) { this.o.ports.reserve(kept); ports[p.name] = kept } else ports[p.name] = await this.o.ports.allocate()
    }
    const logFile = record?.handle?.logFile ?? join(this.o.logDir, `${d.namespace}_${d.name}_${d.uid.slice(0, 8)}.log`)
    st.running[d.uid] = { ...(record?.handle ? { handle: record.handle } : {}), ports, restarts: record?.restarts ?? 0 }
    this.o.state.save()
    const env = instanceEnv(d, { address: this.o.address, node: this.o.node, site: this.o.site, ports })
    const container = d.template.runtime === 'container'
    const sup = new InstanceSupervisor({
      driver: container ? this.o.containerDriver?.() ?? noContainers : this.o.driver,
      clock: this.o.clock,
      spec: {
        id: `${d.namespace}/${d.name}`, template: d.template, env, uid: d.uid, host: this.o.address, ports, logFile,
        cwd: container ? this.o.baseDir : resolve(this.o.baseDir, d.template.workingDir ?? '.'),
      },
      host: this.o.address,
      ports,
      handle: record?.handle,
      restarts: record?.restarts,
      restartBackoff: this.o.restartBackoff,
      onHandle: (handle) => {
        const r = this.o.state.state.running[d.uid]
        if (r) { r.handle = handle; this.o.state.save() }
      },
      onChange: (s) => {
        const r = this.o.state.state.running[d.uid]
        if (r && r.restarts !== s.restarts) { r.restarts = s.restarts; this.o.state.save() }
        this.o.onStatus(d.uid)
      },
    })
    this.managed.set(d.uid, { desired: d, sup, ports, logFile })
    this.o.log.info({ instance: `${d.namespace}/${d.name}`, adopt: !!record?.handle }, record?.handle ? 'adopting instance' : 'starting instance')
    sup.start()
  }

  private stopInstance(uid: string): void {
    const m = this.managed.get(uid)
    if (!m) return
    this.managed.delete(uid)
    this.o.log.info({ instance: `${m.desired.namespace}/${m.desired.name}` }, 'stopping instance')
    const p = m.sup.stop().catch((err) => this.o.log.warn({ err, uid }, 'stop failed')).finally(() => {
      for (const port of Object.values(m.ports)) this.o.ports.release(port)
      delete this.o.state.state.running[uid]
      this.o.state.save()
      this.stopping.delete(uid)
      this.o.onStatus(uid)
    })
    this.stopping.set(uid, p)
  }

  report(uid: string): InstanceReport | undefined {
    const m = this.managed.get(uid)
    if (!m) return undefined
    return toReport(uid, m.sup.status(), endpointsOf(this.o.address, m.ports))
  }

  reports(): InstanceReport[] {
    return [...this.managed.keys()].map((uid) => this.report(uid)!).filter(Boolean)
  }

  /** Readiness of a local instance by namespace/name; undefined when it is not on this node. */
  readyById(id: string): boolean | undefined {
    for (const m of this.managed.values()) {
      if (`${m.desired.namespace}/${m.desired.name}` === id) return m.sup.status().ready
    }
    return undefined
  }

  logFileOf(uid: string): string | undefined {
    return this.managed.get(uid)?.logFile ?? this.o.state.state.running[uid]?.handle?.logFile
  }

  pids(): number[] {
    return [...this.managed.values()].map((m) => m.sup.status().pid).filter((p): p is number => p !== undefined)
  }

  /** Keeps each instance's log under the size cap. */
  capLogs(): void {
    for (const m of this.managed.values()) {
      try { capLogFile(m.logFile, this.o.maxLogBytes) } catch { /* the file may not exist yet */ }
    }
  }

  get size(): number { return this.managed.size }

  /** Waits for queued reconciles and any stops in flight. */
  async settled(): Promise<void> {
    await this.chain
    await Promise.all(this.stopping.values())
  }

  /** Stops every instance (only when the operator asked the agent to take them down with it). */
  async stopAll(): Promise<void> {
    await this.apply([])
    await this.settled()
  }
}

/** Stands in when the agent runs no container runtime: every start fails with a clear reason. */
const noContainers: RuntimeDriver = {
  name: 'container',
  start: async () => { throw new StartFailure('RuntimeUnavailable', 'this agent runs no container runtime (podman not found)') },
  isAlive: () => false,
  onExit: (_h, cb) => { queueMicrotask(() => cb({ code: null, signal: null })); return () => {} },
  stop: async () => {},
}

function toReport(uid: string, s: SupervisorStatus, endpoints: Record<string, string>): InstanceReport {
  return {
    uid, phase: s.phase, ready: s.ready, restarts: s.restarts, endpoints,
    ...(s.pid !== undefined ? { pid: s.pid } : {}),
    ...(s.startedAt ? { startedAt: s.startedAt } : {}),
    ...(s.exitCode !== undefined ? { exitCode: s.exitCode } : {}),
    ...(s.message ? { message: s.message.slice(0, 4096) } : {}),
    ...(s.reason ? { reason: s.reason.slice(0, 256) } : {}),
  }
}
