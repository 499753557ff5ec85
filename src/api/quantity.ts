// Resource quantities in Kubernetes notation: cpu as cores ("0.5", 2) or millicores ("500m");
// memory as bytes with binary or decimal suffixes ("256Mi", "1G").
import { ApiError } from './errors.js'

const MEMORY_SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
}

export function parseCpu(q: string | number | undefined, field = 'cpu'): number {
  if (q === undefined) return 0
  if (typeof q === 'number') return Math.round(q * 1000)
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim())
  if (!m) throw new ApiError('Invalid', `${field}: "${q}" is not a cpu quantity (use cores like 0.5 or millicores like 500m)`, { causes: [{ field, message: 'not a cpu quantity' }] })
  return m[2] === 'm' ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000)
}

export function parseMemory(q: string | number | undefined, field = 'memory'): number {
  if (q === undefined) return 0
  if (typeof q === 'number') return Math.round(q)
  const m = /^(\d+(?:\.\d+)?)([kKMGT]i?|)$/.exec(q.trim())
  if (!m || MEMORY_SUFFIX[m[2]] === undefined) throw new ApiError('Invalid', `${field}: "${q}" is not a memory quantity (use bytes or a suffix like 256Mi or 1G)`, { causes: [{ field, message: 'not a memory quantity' }] })
  return Math.round(Number(m[1]) * MEMORY_SUFFIX[m[2]])
}

export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`
}

export function formatMemory(bytes: number): string {
  for (const [s, f] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= f) return `${Math.round((bytes / f) * 10) / 10}${s}`
  }
  return String(bytes)
}
