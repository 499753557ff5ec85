// Field selectors ("involvedObject.name=web,spec.node!=n1"): equality on dotted paths.
import { ApiError } from './errors.js'

export interface FieldRequirement { path: string[]; value: string; negate: boolean }

export function parseFieldSelector(text: string | undefined): FieldRequirement[] {
  if (!text?.trim()) return []
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*?)\s*$/.exec(part)
    if (!m) throw new ApiError('BadRequest', `field selector: cannot parse "${part}" (use path=value or path!=value)`)
    return { path: m[1].split('.'), value: m[3], negate: m[2] === '!=' }
  })
}

export function matchesFields(obj: unknown, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => {
    let v: unknown = obj
    for (const p of r.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined
    const s = v === undefined || v === null ? '' : String(v)
    return (s === r.value) !== r.negate
  })
}
