// Inputs and outputs of the pure scheduler. Capacity numbers: cpu in millicores, memory in bytes.
import type { App, Capacity } from '../api/kinds/index.js'

export interface SiteInfo {
  name: string
  region: string
  provider: string
  tier: 'edge' | 'central'
  labels: Record<string, string>
  geo?: { lat: number; lon: number }
  unschedulable: boolean
}

export interface NodeInfo {
  name: string
  site: string
  ready: boolean
  unschedulable: boolean
  allocatable: Capacity
  labels: Record<string, string>
}

/** An instance already placed (of any app): it uses capacity on its node. */
export interface PlacedInstance {
  name: string
  app: string // namespace/name of the owning app
  revision: string
  node: string
  site: string
  request: Capacity
}

export interface Snapshot {
  sites: SiteInfo[]
  nodes: NodeInfo[]
  instances: PlacedInstance[]
}

export interface Placement {
  node: string
  site: string
}

export interface Plan {
  /** New instances to create for the app's current revision. */
  place: Placement[]
  /** Names of instances of this app to remove (surplus, or on nodes that no longer qualify). */
  remove: string[]
  /** How many replicas could not be placed, and why, counted per site ("3 region mismatch"). */
  unplaced: number
  reasons: Record<string, number>
  /** Human-readable summary for the Scheduled condition, e.g. "0/5 sites available: 3 region mismatch, 2 insufficient memory". */
  message: string
}

export interface ScheduleRequest {
  app: App
  /** namespace/name of the app, matching PlacedInstance.app. */
  appKey: string
  revision: string
}
