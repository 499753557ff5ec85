// The site gateway: public surface for the agent and the bench.
export { SiteGateway, type SiteGatewayOptions } from './gateway.js'
export { StaticGatewayTable } from './static-table.js'
export { DEFAULT_LIMITS, resolveLimits, type GatewayLimits } from './options.js'
export type { GatewayCounters } from './context.js'
export type { GatewayEndpoint, GatewayRoute, GatewayTable, TrafficReport } from './types.js'
