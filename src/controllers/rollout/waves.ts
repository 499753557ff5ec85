// Which sites update in which wave: the canary first (named sites and/or a label selector, else the
// first site by name), then cumulative percentages of the app's sites. Pure and deterministic.
import type { Rollout } from '../../api/kinds/index.js'
import { matchesSelector } from '../../api/labels.js'

export interface SiteRef { name: string; labels: Record<string, string> }

export interface WavePlan { name: string; sites: string[] }

export function planWaves(sites: SiteRef[], rollout: Pick<Rollout, 'canary' | 'waves'>): WavePlan[] {
  const all = [...sites].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (!all.length) return []
  const named = new Set(rollout.canary?.sites ?? [])
  const sel = rollout.canary?.selector
  let canary = all.filter((s) => named.has(s.name) || (sel !== undefined && matchesSelector(s.labels, sel)))
  if (!canary.length) canary = [all[0]]
  const waves: WavePlan[] = [{ name: 'canary', sites: canary.map((s) => s.name) }]
  const chosen = new Set(waves[0].sites)
  const rest = all.filter((s) => !chosen.has(s.name))
  const percents = [...rollout.waves].sort((a, b) => a - b)
  if (percents[percents.length - 1] !== 100) percents.push(100)
  for (const p of percents) {
    const upTo = Math.ceil((all.length * p) / 100)
    const sitesInWave: string[] = []
    while (chosen.size < upTo && rest.length) {
      const next = rest.shift()!
      chosen.add(next.name)
      sitesInWave.push(next.name)
    }
    if (sitesInWave.length) waves.push({ name: `${p}%`, sites: sitesInWave })
  }
  return waves
}
