// Profiles a running Node process (e.g. a server under a bench) without restarting it: send it
// SIGUSR1 (its inspector opens on 127.0.0.1:9229), then sample for a while and print the functions
// with the most self and inclusive time.
//
//   kill -USR1 PID && npx tsx bench/lib/profile-running.ts [--seconds 10] [--port 9229] [--out FILE.cpuprofile]
//
// Only for loopback and processes you own: the inspector gives full control of the process.
import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[] }

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const SECONDS = Number(opt('seconds', '10'))
const PORT = Number(opt('port', '9229'))
const OUT = opt('out', '')

const targets = (await (await fetch(`http://127.0.0.1:${PORT}/json`)).json()) as { webSocketDebuggerUrl: string }[]
if (!targets.length) throw new Error(`no inspector target on 127.0.0.1:${PORT} (did you send SIGUSR1?)`)
const ws = new WebSocket(targets[0].webSocketDebuggerUrl)
let nextId = 0
const pending = new Map<number, (result: unknown) => void>()
ws.on('message', (data) => {
  const m = JSON.parse(String(data)) as { id?: number; result?: unknown }
  if (m.id !== undefined) { pending.get(m.id)?.(m.result); pending.delete(m.id) }
})
const call = <T>(method: string, params: object = {}): Promise<T> => new Promise((resolve) => {
  const id = ++nextId
  pending.set(id, resolve as (r: unknown) => void)
  ws.send(JSON.stringify({ id, method, params }))
})
await new Promise((r) => ws.once('open', r))
await call('Profiler.enable')
await call('Profiler.setSamplingInterval', { interval: 1000 })
await call('Profiler.start')
await new Promise((r) => setTimeout(r, SECONDS * 1000))
const { profile } = await call<{ profile: Profile }>('Profiler.stop')
ws.close()
if (OUT) writeFileSync(OUT, JSON.stringify(profile))

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`
const hits = new Map<number, number>()
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1)
const self = new Map<string, number>()
const inclusive = new Map<string, number>()
for (const [id, n] of hits) {
  const key = label(byId.get(id)!)
  self.set(key, (self.get(key) ?? 0) + n)
  const seen = new Set<string>()
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const k = label(byId.get(x)!)
    if (!seen.has(k)) { seen.add(k); inclusive.set(k, (inclusive.get(k) ?? 0) + n) }
  }
}
const total = profile.samples.length
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
console.log(`${total} samples over ${SECONDS} s${OUT ? ` (profile written to ${OUT}; open it in Chrome DevTools)` : ''}`)
console.log(`--- self time\n${top(self, 25)}\n--- inclusive time\n${top(inclusive, 40)}`)
