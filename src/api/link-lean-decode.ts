// The agent's decoding of the server's link messages: the schemas of link.ts, checked by the small
// checker of json-check.ts instead of typebox's compiler (the agent loads no schema library). Same
// messages accepted, same error strings' shape as decodeServerMessage of link.ts.
import type { ServerMessage } from './link.js'
import { decodeFrame } from './link-wire.js'
import { jsonChecker, type JsonChecker, type JsonSchema } from './json-check.js'
import { SERVER_MESSAGE_SCHEMAS } from './link-server-schemas.js'

let checkers: Map<string, JsonChecker> | undefined

function byType(schemas: JsonSchema[]): Map<string, JsonChecker> {
  return new Map(schemas.map((s) => [(s.properties as { t: { const: string } }).t.const, jsonChecker(s)]))
}

export function leanDecodeServerMessage(data: string): ServerMessage | string {
  checkers ??= byType(SERVER_MESSAGE_SCHEMAS)
  return decodeFrame(data, checkers, (c, msg) => c.Causes(msg)) as ServerMessage | string
}
