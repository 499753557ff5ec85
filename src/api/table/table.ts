// A Kubernetes `meta.k8s.io` Table (what `kubectl get` asks for with `Accept: …;as=Table`) from the
// kind's columns: the same cells the CLI prints.
import type { Resource } from '../meta.js'
import { columnsFor, rowOf } from './columns.js'

export type TableVersion = 'v1' | 'v1beta1'
/** What each row carries besides its cells (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object'

export interface Table {
  kind: 'Table'
  apiVersion: string
  metadata: { resourceVersion?: string }
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[]
  rows: { cells: string[]; object?: unknown }[]
}

export function toTable(kind: string, items: Resource[], o: { version: TableVersion; includeObject: IncludeObject; now: number; resourceVersion?: string }): Table {
  const columns = columnsFor(kind)
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${o.version}`,
    metadata: o.resourceVersion ? { resourceVersion: o.resourceVersion } : {},
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: items.map((obj) => ({
      cells: rowOf(columns, obj, o.now),
      ...(o.includeObject === 'Object' ? { object: obj }
        : o.includeObject === 'Metadata' ? { object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${o.version}`, metadata: obj.metadata } }
          : {}),
    })),
  }
}

/**
 * The Table version an Accept header asks for, in the client's order of preference; undefined when
 * a plain JSON answer comes first or no Table of a version we serve is asked for.
 */
export function tableVersionOf(accept: string | undefined): TableVersion | undefined {
  if (!accept) return undefined
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim())
    const p = new Map(params.map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()] as const }))
    if (p.get('as') === 'Table' && (type === 'application/json' || type === '*/*') && p.get('g') === 'meta.k8s.io') {
      const v = p.get('v')
      if (v === 'v1' || v === 'v1beta1') return v
      continue
    }
    // A plain JSON (or anything) preferred before any Table: the objects themselves.
    if (!p.has('as') && (type === 'application/json' || type === '*/*' || type === 'application/yaml')) return undefined
  }
  return undefined
}
