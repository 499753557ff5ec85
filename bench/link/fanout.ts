// bench/link/fanout: the floor under "a change to every site". One document out to each of N links
// and one ack back, with nothing else on either side: no store, no controllers, no status reports,
// no heartbeat. The server end is the link's own stack in a process of its own (ws over node:https
// with the server's TLS material, deflate settings and sendLinkText); the N clients run in this
// process, each dialing from its own loopback address, as the simulated sites of bench/scale do.
//
//   npx tsx bench/link/fanout.ts [--links 10000] [--bytes 500] [--rounds 3]
//
// Prints, per round: how long the server's loop took to send every document, when 50 %, 99 % and
// 100 % of the clients had received theirs (what bench/scale calls "acked": a site acks as it reads
// its document), when the server had read every ack, and the CPU both processes spent.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:https'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { LINK_DEFLATE, MAX_LINK_MESSAGE_BYTES, sendLinkText } from '../../src/api/link.js'
import { ensurePki, serverNames } from '../../src/server/tls/pki.js'
import { ensureFileLimit } from '../../src/sim/limits.js'
import { siteBlock } from '../../src/sim/world.js'

const argv = process.argv.slice(2)
const num = (name: string, def: number): number => { const i = argv.indexOf(`--${name}`); return i >= 0 ? Number(argv[i + 1]) : def }
const LINKS = num('links', 10_000)
const BYTES = num('bytes', 500)
const ROUNDS = num('rounds', 3)
/** Wall-clock milliseconds comparable across the two processes. */
const now = (): number => performance.timeOrigin + performance.now()

type ToServer = { t: 'round'; round: number }
type FromServer = { t: 'listening'; port: number; ca: string } | { t: 'connected'; n: number } | { t: 'round'; start: number; sent: number; acksAt: number[]; cpuMs: number }

if (process.argv.includes('--serve')) void serve()
else void main()

/** The server end: accepts links, sends each one document per round, times the acks. */
async function serve(): Promise<void> {
  ensureFileLimit(LINKS + 1000)
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-fanout-'))
  const tls = await ensurePki(dir, serverNames('127.0.0.1'))
  const https = createServer({ cert: tls.cert, key: tls.key })
  const wss = new WebSocketServer({ server: https, maxPayload: MAX_LINK_MESSAGE_BYTES, perMessageDeflate: LINK_DEFLATE })
  const links: WebSocket[] = []
  let acks: number[] = []
  wss.on('connection', (ws) => {
    links.push(ws)
    ws.on('message', () => { acks.push(now()) })
    if (links.length % 1000 === 0 || links.length === LINKS) process.send!({ t: 'connected', n: links.length } satisfies FromServer)
  })
  https.listen(0, '127.0.0.1')
  await once(https, 'listening')
  process.send!({ t: 'listening', port: (https.address() as { port: number }).port, ca: tls.ca } satisfies FromServer)
  process.on('message', (m: ToServer) => {
    acks = []
    const cpu0 = process.cpuUsage()
    const start = now()
    // A desired document of about BYTES bytes; each link's own (its version), as the hub sends them.
    const pad = 'x'.repeat(Math.max(0, BYTES - 120))
    for (let i = 0; i < links.length; i++) sendLinkText(links[i], `{"t":"desired","version":${m.round * 1_000_000 + i},"full":false,"upsert":[{"uid":"${i}","pad":"${pad}"}],"remove":[]}`)
    const sent = now()
    const check = () => {
      if (acks.length < links.length) { setTimeout(check, 5); return }
      const cpu = process.cpuUsage(cpu0)
      process.send!({ t: 'round', start, sent, acksAt: acks, cpuMs: (cpu.user + cpu.system) / 1000 } satisfies FromServer)
    }
    check()
  })
  process.on('disconnect', () => { rmSync(dir, { recursive: true, force: true }); process.exit(0) })
}

async function main(): Promise<void> {
  const limit = ensureFileLimit(LINKS + 1000)
  if (limit.problem) throw new Error(limit.problem)
  const child = fork(new URL(import.meta.url).pathname, [...argv, '--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: FromServer[] = []
  let wake: (() => void) | undefined
  child.on('message', (m: FromServer) => { messages.push(m); wake?.() })
  const next = async <T extends FromServer['t']>(t: T): Promise<Extract<FromServer, { t: T }>> => {
    for (;;) {
      const i = messages.findIndex((m) => m.t === t)
      if (i >= 0) return messages.splice(i, 1)[0] as Extract<FromServer, { t: T }>
      await new Promise<void>((r) => { wake = r })
    }
  }
  const { port, ca } = await next('listening')
  console.log(`link fan-out floor: ${LINKS} links, ~${BYTES}-byte documents, ${ROUNDS} rounds; ${cpus().length} CPUs, node ${process.version}`)

  // Dial in waves of 500 (a TLS handshake each), every client from its site's loopback address.
  const clients: WebSocket[] = []
  let got: number[] = []
  const t0 = performance.now()
  for (let i = 0; i < LINKS; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, LINKS - i) }, async (_, k) => {
      const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca, perMessageDeflate: { threshold: 256 }, maxPayload: MAX_LINK_MESSAGE_BYTES, localAddress: `${siteBlock(i + k)}.1` })
      ws.on('message', (data) => {
        got.push(now())
        const version = /"version":(\d+)/.exec(data.toString())![1]
        sendLinkText(ws, `{"t":"ack","version":${version}}`)
      })
      await once(ws, 'open')
      clients.push(ws)
    }))
  }
  await next('connected')
  console.log(`connected ${clients.length} links in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const at = (times: number[], start: number, q: number) => Math.round(times.slice().sort((a, b) => a - b)[Math.max(0, Math.ceil(q * times.length) - 1)] - start)
  const rows = []
  for (let r = 1; r <= ROUNDS; r++) {
    await new Promise((res) => setTimeout(res, 1000))
    got = []
    const cpu0 = process.cpuUsage()
    child.send({ t: 'round', round: r } satisfies ToServer)
    const s = await next('round')
    const cpu = process.cpuUsage(cpu0)
    const row = {
      round: r, sendLoopMs: Math.round(s.sent - s.start),
      receivedMs: { p50: at(got, s.start, 0.5), p99: at(got, s.start, 0.99), all: at(got, s.start, 1) },
      serverReadAllAcksMs: at(s.acksAt, s.start, 1), serverCpuMs: Math.round(s.cpuMs), clientsCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    }
    rows.push(row)
    console.log(`round ${r}: server send loop ${row.sendLoopMs} ms; documents received by 50/99/100% of links ${row.receivedMs.p50}/${row.receivedMs.p99}/${row.receivedMs.all} ms; all acks read by the server ${row.serverReadAllAcksMs} ms; CPU server ${row.serverCpuMs} ms, clients ${row.clientsCpuMs} ms`)
  }
  console.log(JSON.stringify({ bench: 'link-fanout', links: LINKS, bytes: BYTES, cpus: cpus().length, node: process.version, rounds: rows }))
  for (const c of clients) c.terminate()
  child.disconnect()
}
