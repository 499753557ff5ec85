// The functions with the most self and inclusive time in a V8 CPU profile (a .cpuprofile file, as
// `node --cpu-prof` and BENCH_PROFILE write, or one taken by profile-running.ts).
//
//   npx tsx bench/lib/profile-summary.ts FILE.cpuprofile [--top 40]
import { readFileSync } from 'node:fs'

export interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
export interface Profile { nodes: ProfileNode[]; samples: number[] }

/** Self and inclusive shares of the samples, by function and file, the largest first. */
export function summarize(profile: Profile, selfTop = 25, inclusiveTop = 40): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
  const hits = new Map<number, number>()
  for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, n] of hits) {
    const key = label(byId.get(id)!)
    self.set(key, (self.get(key) ?? 0) + n)
    // A recursive function counts once per sample.
    const seen = new Set<string>()
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = label(byId.get(x)!)
      if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + n) }
    }
  }
  const total = profile.samples.length
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
  return `${total} samples\n--- self time\n${top(self, selfTop)}\n--- inclusive time\n${top(inclusive, inclusiveTop)}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file] = process.argv.slice(2)
  if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [--top N]')
  const i = process.argv.indexOf('--top')
  const n = i >= 0 ? Number(process.argv[i + 1]) : 40
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Math.round(n * 0.6), n))
}
