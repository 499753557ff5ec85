// Manifests: YAML or JSON, several documents per file ("---" in YAML, a List or an array in JSON).
import { parseAllDocuments } from 'yaml'
import { ApiError } from './errors.js'

export function parseManifests(text: string, source = 'input'): unknown[] {
  const trimmed = text.trim()
  if (!trimmed) return []
  const docs: unknown[] = []
  let json: { value: unknown } | undefined
  let jsonError = ''
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try { json = { value: JSON.parse(trimmed) } } catch (e) { jsonError = (e as Error).message }
  }
  if (json) {
    // Not push(...value): spreading a very long array overflows the call stack.
    if (Array.isArray(json.value)) for (const v of json.value) docs.push(v)
    else docs.push(json.value)
  } else {
    // Not JSON: YAML (whose flow style also starts with "{"), reported as JSON if it was meant to be.
    for (const doc of parseAllDocuments(trimmed)) {
      if (doc.errors.length) {
        const err = doc.errors[0]
        if (jsonError) throw new ApiError('BadRequest', `${source}: not valid JSON: ${jsonError}`)
        throw new ApiError('BadRequest', `${source}: not valid YAML: ${err.message.split('\n')[0]}`)
      }
      let value: unknown
      // toJS throws on an alias bomb (maxAliasCount) or an alias to an anchor that does not exist.
      try { value = doc.toJS({ maxAliasCount: 100 }) } catch (e) {
        throw new ApiError('BadRequest', `${source}: not valid YAML: ${(e as Error).message.split('\n')[0]}`)
      }
      if (value !== null && value !== undefined) docs.push(value)
    }
  }
  for (const d of docs) checkDepth(d, source)
  return docs.flatMap((d) => {
    const list = d as { kind?: string; items?: unknown[] }
    return list && typeof list === 'object' && typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items) ? list.items : [d]
  })
}

/** Deeper than any resource: refusing it here keeps recursive code (clone, validation, merge) safe. */
export const MAX_DEPTH = 100

function checkDepth(root: unknown, source: string): void {
  const stack: [unknown, number][] = [[root, 1]]
  while (stack.length) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (depth > MAX_DEPTH) throw new ApiError('BadRequest', `${source}: nested deeper than ${MAX_DEPTH} levels`)
    for (const child of Object.values(v)) stack.push([child, depth + 1])
  }
}
