// The scheduler's public surface: the pure schedule function, its contract and its reason keys.
export { schedule } from './schedule.js'
export { REASON, type Reason } from './feasibility.js'
export type { SpreadBy } from './slots.js'
export type * from './types.js'
