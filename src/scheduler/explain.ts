// Plan.decisions: each site's decision and its reason, for `describe app`. Every site the plan
// touches (holds, gets, loses or sheds replicas) is explained; of the others, `explain` are: the
// best-scored sites that could have been used first, then the excluded ones by name. The rest
// are counted in decisionsOmitted (their reasons are also counted in Plan.reasons on a shortfall).
import type { DivisionMode } from '../api/kinds/index.js'
import type { Config } from './config.js'
import { Heap } from './heap.js'
import { seconds } from './health.js'
import type { SiteSlot } from './slots.js'
import type { SiteDecision } from './types.js'

export interface Explained { decisions: SiteDecision[]; omitted: number }

const touched = (s: SiteSlot) => s.count > 0 || s.placed > 0 || s.removed > 0 || s.lost > 0 || s.surplus > 0

// Sites that could take replicas first, best score first; then the rest by name.
const shownFirst = (a: SiteSlot, b: SiteSlot) => {
  const ua = !a.reason, ub = !b.reason
  if (ua !== ub) return ua
  if (ua && a.score !== b.score) return a.score > b.score
  return a.site.name < b.site.name
}

export function explain(slots: Iterable<SiteSlot>, cfg: Config, mode: DivisionMode, why: (s: SiteSlot) => string | null): Explained {
  const shown: SiteSlot[] = []
  // The `explain` best of the others, kept in a heap whose top is the worst of them.
  const others = new Heap<SiteSlot>((a, b) => shownFirst(b, a))
  let rest = 0
  for (const s of slots) {
    if (touched(s)) { shown.push(s); continue }
    rest++
    if (cfg.explain <= 0) continue
    if (others.size < cfg.explain) others.push(s)
    else if (shownFirst(s, others.peek()!)) { others.pop(); others.push(s) }
  }
  const picked: SiteSlot[] = []
  while (others.size) picked.push(others.pop()!)
  picked.reverse()
  const decisions = [...shown, ...picked].map((s) => decide(s, cfg, mode, why))
  return { decisions, omitted: rest - picked.length }
}

function decide(s: SiteSlot, cfg: Config, mode: DivisionMode, why: (s: SiteSlot) => string | null): SiteDecision {
  const d: SiteDecision = { site: s.site.name, replicas: s.count, reason: '' }
  if (s.placed) d.placed = s.placed
  if (s.removed) d.removed = s.removed
  if (s.lost) d.lost = s.lost
  if (s.surplus) d.surplus = s.surplus
  if (mode !== 'fixed' && !s.mismatch) d.target = s.target
  if (!s.mismatch) d.score = Math.round(s.score * 1000) / 1000
  const head = s.placed ? `${s.count} (${s.placed} placed)` : String(s.count)
  const notes = [headline(s, cfg, mode, why)]
  if (s.lost) notes.push(`${s.lost} lost on failed nodes (not counted, not removed)`)
  if (s.surplus) notes.push(`${s.surplus} surplus held until replacements are ready`)
  if (s.removed) notes.push(`${s.removed} removed`)
  d.reason = `${head}: ${notes.join('; ')}`
  return d
}

function headline(s: SiteSlot, cfg: Config, mode: DivisionMode, why: (s: SiteSlot) => string | null): string {
  if (s.mismatch) return s.mismatch
  const h = s.health
  if (h.state === 'failed') return cfg.pinned && s.count ? `pinned: kept through NotReady ${seconds(h.forMs)}` : `failed over (NotReady ${seconds(h.forMs)})`
  if (h.state === 'down') {
    const when = h.forMs !== undefined ? ` for ${seconds(h.forMs)}` : ''
    return s.count && !cfg.pinned && h.forMs !== undefined
      ? `kept: NotReady${when} (failover after ${seconds(cfg.afterMs)})`
      : s.count ? `kept: NotReady${when}` : `no ready nodes${when ? ` (NotReady${when})` : ''}`
  }
  if (h.state === 'returning') return `returning, ready for ${seconds(h.forMs)} of ${seconds(cfg.returnMs)}${s.count ? ' (its replicas are not trusted yet)' : ''}`
  if (s.site.unschedulable) return s.count ? 'site unschedulable: keeps its replicas, takes no new ones' : 'site unschedulable'
  if (s.count === 0) {
    const full = why(s)
    if (full) return full
    if (mode === 'demand') return 'no demand nearer to it than to other sites'
    return 'other sites preferred (fewer replicas or a better score)'
  }
  if (s.reason) return `keeps its replicas: ${s.reason}`
  if (mode === 'fixed') return `even spread by ${cfg.spreadBy}${cfg.mode === 'demand' ? ' (no demand reported)' : ''}`
  const base = mode === 'weighted' ? `weight ${s.weight}, share ${round(s.share)}`
    : mode === 'capacity' ? `proportional to free capacity, share ${round(s.share)}`
      : s.weight > 0 ? `nearest to ${Math.round(s.weight * 100)}% of demand, share ${round(s.share)}` : 'no demand nearer to it than to other sites'
  if (s.count <= s.target) return base
  // Above target: new replicas here are overflow from full sites; older ones move away gradually.
  return s.count - s.placed <= s.target ? `${base} (overflow from full sites)` : `${base}; above its target of ${s.target}, moving away as replacements get ready`
}

const round = (x: number) => Math.round(x * 100) / 100
