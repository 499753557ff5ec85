// Label selectors: the string form of kubectl (-l "a=b,c!=d,e in (x,y),!f") and the structured form
// used in placement (matchLabels + matchExpressions). Both compile to one matcher.
import { ApiError } from './errors.js'

export type Labels = Record<string, string> | undefined

export interface LabelRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values?: string[]
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelRequirement[]
}

export function selectorRequirements(sel: LabelSelector | undefined): LabelRequirement[] {
  if (!sel) return []
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'In', values: [v] }))
  return reqs.concat(sel.matchExpressions ?? [])
}

export function matchesRequirements(labels: Labels, reqs: LabelRequirement[]): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key)
    const v = has ? labels![r.key] : undefined
    switch (r.operator) {
      case 'In': if (!has || !(r.values ?? []).includes(v!)) return false; break
      case 'NotIn': if (has && (r.values ?? []).includes(v!)) return false; break
      case 'Exists': if (!has) return false; break
      case 'DoesNotExist': if (has) return false; break
    }
  }
  return true
}

export function matchesSelector(labels: Labels, sel: LabelSelector | undefined): boolean {
  return matchesRequirements(labels, selectorRequirements(sel))
}

const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/

/** Parses kubectl's selector syntax. Throws BadRequest naming the part it could not read. */
export function parseSelector(text: string | undefined): LabelRequirement[] {
  if (!text || !text.trim()) return []
  const reqs: LabelRequirement[] = []
  for (const part of splitTopLevel(text)) {
    const p = part.trim()
    let m: RegExpExecArray | null
    if ((m = /^(\S+?)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      reqs.push({ key: checkKey(m[1], p), operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3].split(',').map((s) => s.trim()).filter(Boolean) })
    } else if ((m = /^(\S+?)\s*!=\s*(\S*)$/.exec(p))) {
      reqs.push({ key: checkKey(m[1], p), operator: 'NotIn', values: [m[2]] })
    } else if ((m = /^(\S+?)\s*==?\s*(\S*)$/.exec(p))) {
      reqs.push({ key: checkKey(m[1], p), operator: 'In', values: [m[2]] })
    } else if ((m = /^!(\S+)$/.exec(p))) {
      reqs.push({ key: checkKey(m[1], p), operator: 'DoesNotExist' })
    } else if (KEY.test(p)) {
      reqs.push({ key: p, operator: 'Exists' })
    } else {
      throw new ApiError('BadRequest', `label selector: cannot parse "${p}" (use key=value, key!=value, key in (a,b), key or !key)`)
    }
  }
  return reqs
}

function checkKey(key: string, part: string): string {
  if (!KEY.test(key)) throw new ApiError('BadRequest', `label selector: "${key}" in "${part}" is not a valid label key`)
  return key
}

function splitTopLevel(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) { out.push(cur); cur = '' } else cur += ch
  }
  out.push(cur)
  return out.filter((s) => s.trim())
}
