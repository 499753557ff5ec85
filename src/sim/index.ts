// The fleet simulator: hollow agents on the real link protocol, a deterministic world, faults.
export { startFleet, Fleet, type FleetOptions, type FleetStats, type FlapHandle } from './fleet.js'
export { HollowNode, type HollowRuntime, type NodeStats, type PartitionMode, type FleetCounters } from './hollow-node.js'
export { generateSites, siteBlock, CITIES, PROVIDERS, type SimSite, type SimNodeSpec, type City } from './world.js'
export { Ticker, NodeClock } from './ticker.js'
export { mulberry32, rngFor, seedOf, sample, weighted } from '../lib/rng.js'
export { ensureFileLimit, fileLimit, type FileLimit } from './limits.js'
