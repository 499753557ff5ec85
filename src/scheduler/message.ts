// The Scheduled condition's message, in the style of Kubernetes' "0/5 nodes are available: ...".
import { byString } from './heap.js'

/** "5/5 replicas placed on 3 sites". */
export function placedMessage(placed: number, replicas: number, sites: number): string {
  return `${placed}/${replicas} replicas placed on ${sites} ${sites === 1 ? 'site' : 'sites'}`
}

/** "0/5 sites available: 3 region mismatch, 2 insufficient memory" — most frequent reason first. */
export function unavailableMessage(available: number, total: number, reasons: Record<string, number>): string {
  const parts = Object.entries(reasons)
    .sort(([ra, a], [rb, b]) => b - a || byString(ra, rb))
    .map(([r, n]) => `${n} ${r}`)
  return `${available}/${total} sites available${parts.length ? `: ${parts.join(', ')}` : ''}`
}
