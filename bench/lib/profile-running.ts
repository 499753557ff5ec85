// Profiles a running Node process (e.g. a server under a bench) without restarting it: send it
// SIGUSR1 (its inspector opens on 127.0.0.1:9229), then sample for a while and print the functions
// with the most self and inclusive time (profile-summary.ts).
//
//   kill -USR1 PID && npx tsx bench/lib/profile-running.ts [--seconds 10] [--port 9229] [--out FILE.cpuprofile]
//
// Only for loopback and processes you own: the inspector gives full control of the process.
import { writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { summarize, type Profile } from './profile-summary.js'


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

console.log(`profiled for ${SECONDS} s${OUT ? ` (profile written to ${OUT}; open it in Chrome DevTools)` : ''}`)
console.log(summarize(profile))
