// A site's tiers, apart from the schemas: the agent's command line checks --tier without loading them.
export const TIERS = ['edge', 'central'] as const
