// `get`'s output formats besides the tables: -o name, -o custom-columns=…, --show-labels, --no-headers.
import type { Resource } from '../api/meta.js'
import { table } from './output.js'
import { printTable } from './printers.js'

export interface GetFormat { output: string; wide: boolean; withNamespace: boolean; showLabels: boolean; noHeaders: boolean }

/** A dotted path (`.spec.site`, `.status.conditions[0].type`, `.metadata.labels.app`) into an object. */
export function readPath(obj: unknown, path: string): unknown {
  const parts = path.replace(/^\{?\.?/, '').replace(/\}$/, '').split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')
  let v: unknown = obj
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[p]
  }
  return v
}

const cellOf = (v: unknown) => (v === undefined || v === null ? '<none>' : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** custom-columns=NAME:.metadata.name,SITE:.spec.site */
export function parseCustomColumns(spec: string): { header: string; path: string }[] {
  const cols = spec.split(',').map((c) => {
    const i = c.indexOf(':')
    if (i <= 0 || !c.slice(i + 1).trim()) throw new Error(`-o custom-columns: "${c}" is not HEADER:.path (e.g. NAME:.metadata.name,SITE:.spec.site)`)
    return { header: c.slice(0, i), path: c.slice(i + 1).trim() }
  })
  if (!cols.length) throw new Error('-o custom-columns needs at least one HEADER:.path')
  return cols
}

export const OUTPUTS = ['table', 'wide', 'json', 'yaml', 'name', 'custom-columns=…']

export function checkOutput(output: string): void {
  if (['table', 'wide', 'json', 'yaml', 'name'].includes(output)) return
  if (output.startsWith('custom-columns=')) { parseCustomColumns(output.slice('custom-columns='.length)); return }
  throw new Error(`-o ${output}: use ${OUTPUTS.join(', ')}`)
}

export function formatTable(items: Resource[], kind: string, f: GetFormat): string {
  let text: string
  if (f.output.startsWith('custom-columns=')) {
    const cols = parseCustomColumns(f.output.slice('custom-columns='.length))
    text = table(cols.map((c) => c.header), items.map((o) => cols.map((c) => cellOf(readPath(o, c.path)))))
  } else {
    text = printTable(items, kind, { wide: f.wide, withNamespace: f.withNamespace })
    if (f.showLabels) {
      // Re-laid out with a LABELS column at the end (kubectl's place for it).
      const lines = text.trimEnd().split('\n')
      const labels = ['LABELS', ...items.map((o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>')]
      text = lines.map((l, i) => `${l}   ${labels[i]}`).join('\n') + '\n'
    }
  }
  return f.noHeaders ? text.split('\n').slice(1).join('\n') : text
}

/** -o name: kind/name, the form `get`, `describe` and `delete` take back. */
export function formatNames(items: Resource[], singular: string): string {
  return items.map((o) => `${singular}/${o.metadata.name}\n`).join('')
}
