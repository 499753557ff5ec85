// `get`'s tables: the kind's columns from src/api/table/columns.ts (the same the server's Table
// answer gives kubectl), printed here from the objects the CLI already fetched.
import type { Resource } from '../api/meta.js'
import { columnsFor, rowOf } from '../api/table/columns.js'
import { table } from './output.js'

export interface TableOptions { wide: boolean; withNamespace: boolean; now?: number }

export function printTable(items: Resource[], kind: string, o: TableOptions): string {
  const columns = columnsFor(kind).filter((c) => o.wide || c.priority === 0)
  const now = o.now ?? Date.now()
  const headers = [...(o.withNamespace ? ['NAMESPACE'] : []), ...columns.map((c) => c.name.toUpperCase())]
  const rows = items.map((obj) => [...(o.withNamespace ? [obj.metadata.namespace ?? ''] : []), ...rowOf(columns, obj, now)])
  return table(headers, rows)
}
