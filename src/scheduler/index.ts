// The scheduler's public surface: the pure schedule function, the fleet index for callers that
// schedule many apps against one fleet, the autoscale helper, the contract and the reason keys.
export { schedule } from './schedule.js'
export { FleetIndex } from './fleet.js'
export { autoscaleReplicas, type AutoscaleDecision, type Observed } from './autoscale.js'
export { REASON, type Reason } from './feasibility.js'
export type { SpreadBy } from './slots.js'
export type * from './types.js'
