// PostgreSQL beside SQLite, in one run: durable writes/s at 1, 10 and 100 concurrent writers,
// watch delivery lag (SQLite: in-process; PostgreSQL: to another server's store on the same
// database, through NOTIFY and the catch-up read), and leader failover time (the lease holder
// stops renewing, as when killed; time until another server holds the lease).
//
//   npx tsx bench/store/ha.ts [--writes 3000] [--lag-writes 500] [--failovers 3]
//
// PostgreSQL 15 runs from the machine's binaries in a temp dir with fsync on (as in production:
// an acknowledged write is on disk); SQLite as the driver configures it (WAL fsync per group commit).
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { API_VERSION, type Resource } from '../../src/api/meta.js'
import { systemClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { LeaderElection } from '../../src/server/ha/leader.js'
import type { LogStore } from '../../src/store/log-store.js'
import { openStore } from '../../src/store/open.js'
import { startPostgres } from '../../src/store/postgres/local-server.js'

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const n = i < 0 ? dflt : Number(process.argv[i + 1])
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer`)
  return n
}
const WRITES = arg('writes', 3000)
const LAG_WRITES = arg('lag-writes', 500)
const FAILOVERS = arg('failovers', 3)

const obj = (name: string): Resource => ({ apiVersion: API_VERSION, kind: 'App', metadata: { name, namespace: 'bench' }, spec: { replicas: 1, template: { command: 'node', args: ['server.js'], env: { A: 'x'.repeat(200) } } } })
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] }

async function writesPerSecond(store: LogStore, writers: number, total: number, tag: string): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: writers }, async () => {
    for (let i = next++; i < total; i = next++) await store.create(obj(`${tag}-${i}`))
  }))
  return total / ((performance.now() - t0) / 1000)
}

async function lag(writer: LogStore, watcher: LogStore, n: number, tag: string): Promise<number[]> {
  const acked = new Map<string, number>()
  const lags: number[] = []
  let done!: () => void
  const all = new Promise<void>((r) => { done = r })
  const w = await watcher.watch({ kind: 'App', fromRevision: await watcher.revision() }, (ev) => {
    const at = performance.now()
    const name = ev.object.metadata.name
    if (!name.startsWith(tag)) return
    // The event may reach the watcher before the writer hears its ack (same process): count 0 then.
    const a = acked.get(name)
    lags.push(a === undefined ? 0 : at - a)
    if (lags.length === n) done()
  })
  for (let i = 0; i < n; i++) {
    const name = `${tag}-${i}`
    await writer.create(obj(name))
    acked.set(name, performance.now())
  }
  await all
  w.close()
  return lags
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bench-ha-'))
  const pg = await startPostgres({ fsync: true })
  const out: string[] = []
  const log = createLogger('bench', 'silent')
  try {
    out.push(`machine: ${cpus().length} × ${cpus()[0].model}, Node ${process.version}; PostgreSQL 15 (fsync on, synchronous_commit on) on loopback`)
    out.push('| writers | SQLite writes/s | PostgreSQL writes/s |', '| ---: | ---: | ---: |')
    for (const writers of [1, 10, 100]) {
      const sqlite = openStore({ driver: 'sqlite', path: join(dir, `w${writers}.db`) })
      const url = await pg.createDatabase(`w${writers}`)
      const pgs = openStore({ driver: 'postgres', url })
      await pgs.whenReady()
      const n = writers === 1 ? Math.min(WRITES, 1000) : WRITES
      const a = await writesPerSecond(sqlite, writers, n, 'w')
      const b = await writesPerSecond(pgs, writers, n, 'w')
      out.push(`| ${writers} | ${a.toFixed(0)} | ${b.toFixed(0)} |`)
      console.error(out.at(-1))
      await sqlite.close(); await pgs.close()
    }

    const sqlite = openStore({ driver: 'sqlite', path: join(dir, 'lag.db') })
    const url = await pg.createDatabase('lag')
    const [pa, pb] = [openStore({ driver: 'postgres', url }), openStore({ driver: 'postgres', url })]
    await Promise.all([pa.whenReady(), pb.whenReady()])
    const ls = await lag(sqlite, sqlite, LAG_WRITES, 'l')
    const lp = await lag(pa, pb, LAG_WRITES, 'l')
    out.push('', `watch delivery lag, ack of a sequential write → event at a watcher (${LAG_WRITES} writes), ms p50 / p99 / max:`)
    out.push(`- SQLite (same process): ${pct(ls, 0.5).toFixed(2)} / ${pct(ls, 0.99).toFixed(2)} / ${Math.max(...ls).toFixed(2)}`)
    out.push(`- PostgreSQL (another server's store: NOTIFY + catch-up read): ${pct(lp, 0.5).toFixed(2)} / ${pct(lp, 0.99).toFixed(2)} / ${Math.max(...lp).toFixed(2)}`)
    console.error(out.slice(-2).join('\n'))
    await sqlite.close()

    const times: number[] = []
    for (let round = 0; round < FAILOVERS; round++) {
      const stores = [pa, pb, openStore({ driver: 'postgres', url })]
      await stores[2].whenReady()
      const elected: { id: string; at: number }[] = []
      const e = stores.map((s, i) => new LeaderElection({ leases: s.leases!, server: `r${round}-${i}`, clock: systemClock, log, onElected: () => elected.push({ id: `r${round}-${i}`, at: performance.now() }), onDeposed: () => undefined }))
      e.forEach((x) => x.start())
      while (!elected.length) await new Promise((r) => setTimeout(r, 20))
      const old = e.find((x) => x.isLeader)!
      ;(old as unknown as { stopped: boolean }).stopped = true // dies: no renewal, no release
      const killedAt = performance.now()
      while (elected.length < 2) await new Promise((r) => setTimeout(r, 5))
      times.push(elected[1].at - killedAt)
      for (const x of e) if (x !== old) await x.stop()
      await stores[2].close()
      await new Promise((r) => setTimeout(r, 3500)) // the dead holder's lease runs out before the next round
    }
    out.push('', `leader failover (lease 3 s, renew 1 s, candidates retry 0.5 s), ms from the holder's last renewal opportunity to another holder: ${times.map((t) => t.toFixed(0)).join(', ')}`)
    await pa.close(); await pb.close()
  } finally {
    await pg.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(out.join('\n'))
}

void main()
