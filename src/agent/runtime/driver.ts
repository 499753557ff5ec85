// The contract between the agent and a way of running workloads. Instances outlive the agent: a
// handle persisted to disk lets a restarted agent re-adopt the very process it started.
import type { Template } from '../../api/kinds/index.js'

/** Enough to find the same process again after an agent restart, and never a reused pid. */
export interface InstanceHandle {
  /** Instance identity assigned by the control plane (namespace/name). */
  id: string
  pid: number
  /** Process start time from /proc/PID/stat (clock ticks since boot): tells a reused pid apart. */
  startTime: number
  startedAt: string
  logFile: string
  /** Container runtime: the container id (pid and startTime are then its conmon's, which outlives the agent). */
  container?: string
  /** Container runtime: the workload's own pid on the host (what status and usage report). */
  workloadPid?: number
}

export interface StartSpec {
  id: string
  template: Template
  /** The full environment: template env plus HOST, PORT, PORT_<NAME> computed by the agent. */
  env: Record<string, string>
  cwd: string
  logFile: string
  /** The instance uid: containers carry it as a label, so a restarted agent finds them. */
  uid?: string
  /** The node address and the host ports allocated per port name (containers publish them). */
  host?: string
  ports?: Record<string, number>
}

export interface ExitInfo {
  code: number | null
  signal: string | null
  /** Set when the runtime knows more than the code, e.g. OOMKilled (memory limit). */
  reason?: string
  message?: string
}

/** A start failure with a status reason (ErrImagePull, ImageNotFound, …); others report StartError. */
export class StartFailure extends Error {
  constructor(readonly reason: string, message: string) {
    super(message)
  }
}

export interface RuntimeDriver {
  readonly name: string
  start(spec: StartSpec): Promise<InstanceHandle>
  /** True while the process behind the handle is alive and is the same process (pid + start time). */
  isAlive(handle: InstanceHandle): boolean
  /** Calls onExit once when the process ends (exit code known only for processes this agent started). Returns a cancel function. */
  onExit(handle: InstanceHandle, onExit: (info: ExitInfo) => void): () => void
  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when it is gone. */
  stop(handle: InstanceHandle, graceMs: number): Promise<void>
}
