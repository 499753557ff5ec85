// A template's revision: a short content hash, the same for equal templates whatever key order.
import { createHash } from 'node:crypto'
import type { Template } from './kinds/index.js'

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

export function templateRevision(t: Template): string {
  return createHash('sha256').update(canonicalJson(t)).digest('hex').slice(0, 10)
}
