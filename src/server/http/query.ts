// The query parameters of the resource API, read and checked once: a value we do not understand is
// a 400 naming the parameter, never silently ignored (a dryRun we ignored would change the fleet).
import { ApiError } from '../../api/errors.js'

export interface RawQuery { [k: string]: string | string[] | undefined }

/** One value of a parameter; a repeated parameter is refused unless every copy agrees. */
function one(q: RawQuery, name: string): string | undefined {
  const v = q[name]
  if (!Array.isArray(v)) return v
  if (new Set(v).size > 1) throw new ApiError('BadRequest', `${name} is given ${v.length} times with different values`)
  return v[0]
}

/** dryRun=All: run every check, write nothing. Kubernetes knows no other value. */
export function dryRunOf(q: RawQuery): boolean {
  const v = q.dryRun
  if (v === undefined) return false
  const all = Array.isArray(v) ? v : [v]
  for (const x of all) {
    if (x !== 'All') throw new ApiError('BadRequest', `dryRun "${x}" is not supported: the only value is "All"`, { causes: [{ field: 'dryRun', reason: 'FieldValueNotSupported', message: 'must be "All"' }] })
  }
  return true
}

/**
 * fieldValidation: kubectl sends Strict by default (and skips its own schema check because our
 * OpenAPI says we take it). Unknown fields are always refused here, so Strict is what every value
 * gets; Ignore and Warn are accepted but behave as Strict (documented in README).
 */
export function checkFieldValidation(q: RawQuery): void {
  const v = one(q, 'fieldValidation')
  if (v !== undefined && v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') {
    throw new ApiError('BadRequest', `fieldValidation "${v}" is not one of Strict, Warn, Ignore`, { causes: [{ field: 'fieldValidation', reason: 'FieldValueNotSupported', message: 'must be Strict, Warn or Ignore' }] })
  }
}

export function wholeNumber(q: RawQuery, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = one(q, name)
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  const min = opts.min ?? 0
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || (opts.max !== undefined && n > opts.max)) {
    const range = opts.max !== undefined ? `${min}–${opts.max}` : `≥ ${min}`
    throw new ApiError('BadRequest', `${name} "${v}" is not a whole number ${range}`, { causes: [{ field: name, reason: 'FieldValueInvalid', message: `must be a whole number ${range}` }] })
  }
  return n
}

export function flag(q: RawQuery, name: string): boolean {
  const v = one(q, name)
  if (v === undefined || v === 'false' || v === '0') return false
  if (v === 'true' || v === '1' || v === '') return true
  throw new ApiError('BadRequest', `${name} "${v}" is not true or false`, { causes: [{ field: name, reason: 'FieldValueInvalid', message: 'must be true or false' }] })
}

export function text(q: RawQuery, name: string): string | undefined {
  return one(q, name)
}
