// A JSON-lines logger for the agent, in pino's line format (level numbers, time, pid, hostname, name,
// msg) and with the same redaction as createLogger (log.ts), without loading pino: the agent logs
// little, and pino with its workers and serializers is ~8 MiB of an edge node's memory.
import { hostname } from 'node:os'
import type { Logger } from './log.js'

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const
type Level = keyof typeof LEVELS
const REDACTED = new Set(['token', 'credential', 'joinToken'])
const NESTED_REDACTED = new Set(['token', 'credential'])

/** Credentials never reach the log: the keys log.ts redacts, at the top and one level down, and authorization headers. */
export function redact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) {
    if (REDACTED.has(k)) out[k] = '[redacted]'
    else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error)) {
      const inner: Record<string, unknown> = {}
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) {
        inner[k2] = NESTED_REDACTED.has(k2) || (k === 'headers' && k2 === 'authorization') ? '[redacted]'
          : k === 'req' && k2 === 'headers' && v2 && typeof v2 === 'object' ? { ...(v2 as object), ...('authorization' in (v2 as object) ? { authorization: '[redacted]' } : {}) }
            : v2
      }
      out[k] = inner
    } else out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v
  }
  return out
}

export function createSmallLogger(name: string, level = process.env.EDGEPLANE_LOG_LEVEL ?? 'info', write: (line: string) => void = (l) => { process.stdout.write(l) }, bindings: Record<string, unknown> = {}): Logger {
  const min = level === 'silent' ? Infinity : LEVELS[level as Level] ?? LEVELS.info
  const base = { pid: process.pid, hostname: hostname(), name, ...bindings }
  const at = (lvl: Level) => (objOrMsg?: unknown, msg?: string) => {
    if (LEVELS[lvl] < min) return
    const fields = typeof objOrMsg === 'object' && objOrMsg !== null ? redact(objOrMsg instanceof Error ? { err: objOrMsg } : objOrMsg as Record<string, unknown>) : {}
    const text = typeof objOrMsg === 'string' ? objOrMsg : msg
    write(JSON.stringify({ level: LEVELS[lvl], time: Date.now(), ...base, ...fields, ...(text !== undefined ? { msg: text } : {}) }) + '\n')
  }
  const log = {
    level, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'), silent: () => {},
    isLevelEnabled: (l: string) => (LEVELS[l as Level] ?? Infinity) >= min,
    child: (more: Record<string, unknown>) => createSmallLogger(name, level, write, { ...bindings, ...more }),
  }
  // The agent's code is typed against pino's Logger and calls only the methods above.
  return log as unknown as Logger
}
