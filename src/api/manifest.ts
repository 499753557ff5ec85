// Manifests: YAML or JSON, several documents per file ("---" in YAML, a List or an array in JSON).
import { parseAllDocuments } from 'yaml'
import { ApiError } from './errors.js'

export function parseManifests(text: string, source = 'input'): unknown[] {
  const trimmed = text.trim()
  if (!trimmed) return []
  const docs: unknown[] = []
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown
    try { value = JSON.parse(trimmed) } catch (e) {
      throw new ApiError('BadRequest', `${source}: not valid JSON: ${(e as Error).message}`)
    }
    docs.push(...(Array.isArray(value) ? value : [value]))
  } else {
    for (const doc of parseAllDocuments(trimmed)) {
      if (doc.errors.length) {
        const err = doc.errors[0]
        throw new ApiError('BadRequest', `${source}: not valid YAML: ${err.message.split('\n')[0]}`)
      }
      const value = doc.toJS({ maxAliasCount: 100 })
      if (value !== null && value !== undefined) docs.push(value)
    }
  }
  return docs.flatMap((d) => {
    const list = d as { kind?: string; items?: unknown[] }
    return list && typeof list === 'object' && typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items) ? list.items : [d]
  })
}
