// A small checker for the subset of JSON Schema the link's messages use, for the agent: it checks a
// message against the same schemas the server compiles with typebox (exported as plain JSON), without
// a schema compiler at run time. A schema with a keyword outside the subset is refused when the
// checker is made, so a new keyword in link.ts fails the agent's build and tests, never passes
// unchecked. Semantics follow typebox's: string lengths count code points, an absent optional field
// is fine, `additionalProperties: false` allows only `properties` and `patternProperties` names.
import type { Cause } from './errors.js'

export type JsonSchema = { [keyword: string]: unknown }

const CHECKED = new Set(['type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'items', 'minItems', 'maxItems',
  'anyOf', 'const', 'enum', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'])
const ANNOTATIONS = new Set(['default', 'description', 'title', 'examples', '$id'])

export interface JsonChecker {
  Check(value: unknown): boolean
  /** Why a value fails, with field paths like upsert[0].template.ports[1].name. */
  Causes(value: unknown): Cause[]
}

/** Makes a checker; throws when the schema uses a keyword this checker does not implement. */
export function jsonChecker(schema: JsonSchema): JsonChecker {
  const patterns = new Map<string, RegExp>()
  prepare(schema, '', patterns)
  return {
    Check: (value) => visit(schema, value, '', patterns, undefined),
    Causes: (value) => { const out: Cause[] = []; visit(schema, value, '', patterns, out); return out },
  }
}

function prepare(s: JsonSchema, at: string, patterns: Map<string, RegExp>): void {
  for (const k of Object.keys(s)) {
    if (!CHECKED.has(k) && !ANNOTATIONS.has(k)) throw new Error(`json-check: keyword "${k}" at ${at || '/'} is not supported (extend src/api/json-check.ts)`)
  }
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) throw new Error(`json-check: only additionalProperties: false is supported (at ${at || '/'})`)
  if (s.items !== undefined && (typeof s.items !== 'object' || Array.isArray(s.items))) throw new Error(`json-check: items must be one schema (at ${at || '/'})`)
  const re = (p: string) => { if (!patterns.has(p)) patterns.set(p, new RegExp(p, 'u')) }
  if (typeof s.pattern === 'string') re(s.pattern)
  for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) prepare(sub, `${at}.${name}`, patterns)
  for (const [p, sub] of Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema>)) { re(p); prepare(sub, `${at}{${p}}`, patterns) }
  if (s.items) prepare(s.items as JsonSchema, `${at}[]`, patterns)
  for (const sub of (s.anyOf ?? []) as JsonSchema[]) prepare(sub, at, patterns)
}

const join = (at: string, key: string | number) => (typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key)

function typeOk(type: unknown, v: unknown): boolean {
  switch (type) {
    case undefined: return true
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v)
    case 'array': return Array.isArray(v)
    case 'string': return typeof v === 'string'
    case 'number': return typeof v === 'number' && Number.isFinite(v)
    case 'integer': return Number.isInteger(v)
    case 'boolean': return typeof v === 'boolean'
    case 'null': return v === null
    default: throw new Error(`json-check: type ${JSON.stringify(type)} is not supported`)
  }
}

/** True when `v` matches; with `out`, records every failure instead of stopping at the first. */
function visit(s: JsonSchema, v: unknown, at: string, re: Map<string, RegExp>, out: Cause[] | undefined): boolean {
  const fail = (message: string, reason = 'FieldValueInvalid'): false => { out?.push({ field: at, reason, message }); return false }
  if (s.anyOf) {
    const ok = (s.anyOf as JsonSchema[]).some((sub) => visit(sub, v, at, re, undefined))
    if (!ok) return fail('has the wrong type')
  }
  if (!typeOk(s.type, v)) return fail(`must be ${s.type === 'integer' ? 'an integer' : `of type ${s.type as string}`}`)
  let ok = true
  if (s.const !== undefined && v !== s.const) ok = fail(`must be ${JSON.stringify(s.const)}`)
  if (s.enum && !(s.enum as unknown[]).includes(v)) ok = fail(`must be one of ${(s.enum as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`, 'FieldValueNotSupported')
  if (typeof v === 'string') {
    const len = s.minLength !== undefined || s.maxLength !== undefined ? codePoints(v) : 0
    if (s.minLength !== undefined && len < (s.minLength as number)) ok = fail(`must be at least ${s.minLength as number} characters`)
    if (s.maxLength !== undefined && len > (s.maxLength as number)) ok = fail(`must be at most ${s.maxLength as number} characters`)
    if (typeof s.pattern === 'string' && !re.get(s.pattern)!.test(v)) ok = fail(`must match ${s.pattern}`)
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && !(v >= (s.minimum as number))) ok = fail(`must be ≥ ${s.minimum as number}`)
    if (s.maximum !== undefined && !(v <= (s.maximum as number))) ok = fail(`must be ≤ ${s.maximum as number}`)
    if (s.exclusiveMinimum !== undefined && !(v > (s.exclusiveMinimum as number))) ok = fail(`must be > ${s.exclusiveMinimum as number}`)
    if (s.exclusiveMaximum !== undefined && !(v < (s.exclusiveMaximum as number))) ok = fail(`must be < ${s.exclusiveMaximum as number}`)
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < (s.minItems as number)) ok = fail(`must have at least ${s.minItems as number} items`)
    if (s.maxItems !== undefined && v.length > (s.maxItems as number)) ok = fail(`must have at most ${s.maxItems as number} items`)
    if (s.items) {
      for (let i = 0; i < v.length && (ok || out); i++) if (!visit(s.items as JsonSchema, v[i], join(at, i), re, out)) ok = false
    }
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    const props = (s.properties ?? {}) as Record<string, JsonSchema>
    const patternProps = Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema>)
    for (const name of (s.required ?? []) as string[]) {
      if (!Object.hasOwn(o, name)) { ok = false; out?.push({ field: join(at, name), reason: 'FieldValueRequired', message: 'required field is missing' }); if (!out) return false }
    }
    for (const name of Object.keys(o)) {
      const sub = Object.hasOwn(props, name) ? props[name] : undefined
      let known = sub !== undefined
      if (sub && o[name] !== undefined && !visit(sub, o[name], join(at, name), re, out)) ok = false
      for (const [p, psub] of patternProps) {
        if (!re.get(p)!.test(name)) continue
        known = true
        if (!visit(psub, o[name], join(at, name), re, out)) ok = false
      }
      if (!known && s.additionalProperties === false) { ok = false; out?.push({ field: join(at, name), reason: 'FieldValueUnknown', message: 'unknown field' }) }
      if (!ok && !out) return false
    }
  }
  return ok
}

function codePoints(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++
    n++
  }
  return n
}
