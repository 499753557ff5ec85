// Moving one site's instances to its target revision, pure. A replacement starts beside the old
// instance (surge) and the old one stops only once the replacement is ready, so the site keeps
// serving; when no node has room for a surge, old instances stop first within maxUnavailable.
// Old instances that are not ready serve nobody and go at once.

export const REPLACES_ANNOTATION = 'edgeplane.io/replaces'

export interface SiteInstance {
  name: string
  node: string
  revision: string
  ready: boolean
  /** The instance this one replaces (an annotation), if any. */
  replaces?: string
}

export interface ReplaceInput {
  target: string
  instances: SiteInstance[]
  maxSurge: number
  maxUnavailable: number
  /** Whether a new instance fits on a node now (accounts for earlier picks in this plan). */
  fits: (node: string) => boolean
  /** Nodes of the site that may take a new instance, best first. */
  nodes: string[]
}

export interface ReplaceActions {
  create: { node: string; replaces: string }[]
  delete: string[]
}

/** Splits a site's instances into slot occupants and replacements still in progress. */
export function occupants(instances: SiteInstance[]): { occupants: SiteInstance[]; replacements: Map<string, SiteInstance> } {
  const names = new Set(instances.map((i) => i.name))
  const replacements = new Map<string, SiteInstance>()
  for (const i of instances) if (i.replaces && names.has(i.replaces)) replacements.set(i.replaces, i)
  const inProgress = new Set([...replacements.values()].map((r) => r.name))
  return { occupants: instances.filter((i) => !inProgress.has(i.name)), replacements }
}

export function planReplacements(input: ReplaceInput): ReplaceActions {
  const { target } = input
  const out: ReplaceActions = { create: [], delete: [] }
  const { occupants: occ, replacements } = occupants(input.instances)
  let surging = 0
  let unavailable = occ.filter((o) => !o.ready).length
  const todo: SiteInstance[] = []
  for (const o of [...occ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = replacements.get(o.name)
    if (o.revision === target) {
      // A replacement of an instance that is already right (the target moved back) is not needed.
      if (r) out.delete.push(r.name)
      continue
    }
    if (r && r.revision !== target) out.delete.push(r.name) // a replacement for a target that moved on
    else if (r && r.ready) { out.delete.push(o.name); continue }
    else if (r) { surging++; continue }
    if (!o.ready) { out.delete.push(o.name); continue }
    todo.push(o)
  }
  for (const o of todo) {
    if (surging < input.maxSurge) {
      const node = input.fits(o.node) ? o.node : input.nodes.find((n) => input.fits(n))
      if (node) {
        out.create.push({ node, replaces: o.name })
        surging++
        continue
      }
    }
    if (unavailable < input.maxUnavailable) {
      out.delete.push(o.name)
      unavailable++
    }
  }
  return out
}

/** maxUnavailable as a count for a site wanting `desired` instances ("25%" rounds down). */
export function unavailableBudget(value: number | string | undefined, desired: number, maxSurge: number): number {
  let n = 0
  if (typeof value === 'number') n = value
  else if (typeof value === 'string') n = Math.floor((desired * Number(value.replace('%', ''))) / 100)
  // With neither surge nor unavailability allowed nothing could ever move: allow one.
  return maxSurge === 0 && n === 0 ? 1 : n
}
