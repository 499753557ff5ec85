// The JSON schemas of the messages the server sends on the link, one per type, as plain JSON: what
// the agent checks them against without a schema compiler (link-lean-decode.ts). From source they
// are read from link.ts; the agent bundle (scripts/build-agent.mjs) replaces this module with the
// same JSON written out at build time, so the bundle carries no schema library.
import { ServerMessageSchema } from './link.js'
import type { JsonSchema } from './json-check.js'

export const SERVER_MESSAGE_SCHEMAS: JsonSchema[] = JSON.parse(JSON.stringify((ServerMessageSchema as unknown as { anyOf: JsonSchema[] }).anyOf))
