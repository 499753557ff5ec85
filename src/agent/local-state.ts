// The agent's memory across restarts and outages: its last desired document and, per instance,
// the process handle, ports and restart count. Written atomically (temp file, fsync, rename), so a
// crash or power cut leaves either the old or the new state, never a torn one.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/fs.js'
import type { DesiredInstance } from '../api/link.js'
import type { InstanceHandle } from './runtime/driver.js'

export interface RunningRecord {
  handle?: InstanceHandle
  ports: Record<string, number>
  restarts: number
}

export interface AgentState {
  node: string
  desired: { version: number; instances: DesiredInstance[] }
  running: Record<string, RunningRecord>
}

export class LocalState {
  private readonly path: string
  state: AgentState

  constructor(dataDir: string, node: string) {
    this.path = join(dataDir, 'state.json')
    this.state = existsSync(this.path) ? JSON.parse(readFileSync(this.path, 'utf8')) : { node, desired: { version: 0, instances: [] }, running: {} }
    if (this.state.node !== node) {
      throw new Error(`the data directory belongs to node "${this.state.node}", not "${node}"; use another --data-dir or the same --name`)
    }
  }

  save(): void {
    writeFileAtomic(this.path, JSON.stringify(this.state))
  }
}
