// Human output: kubectl-like tables, ages, byte counts.
import { stringify } from 'yaml'

export { age, until, bytes } from '../api/table/human.js'

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('   ').trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}

export function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0 })
}
