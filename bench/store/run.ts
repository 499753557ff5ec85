// Store benchmark: write throughput/latency and watch fan-out, SQLite (durable settings as the
// driver configures them: WAL, synchronous=FULL) beside the memory driver for comparison.
//
//   npx tsx bench/store/run.ts [--writes 5000] [--watchers 100]
//
// (a) sequential writes: N creates, then N compare-and-swap updates of those objects, one at a
//     time; writes/s = N / wall time of the phase; p50/p99 of each write's own latency.
// (b) fan-out: W watchers on kind App, N sequential updates; events/s = N × W / wall time from the
//     first write until the last watcher has received the last event; delivery lag = time from the
//     backend's commit returning (the transaction is durable) to a watcher's handler running.
// Wall clock is performance.now(); nothing sleeps. Temp databases live under os.tmpdir() and are
// removed at the end (and on Ctrl-C).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { API_VERSION, type Resource } from '../../src/api/meta.js'
import type { Backend, Mutation } from '../../src/store/backend.js'
import { LogStore } from '../../src/store/log-store.js'
import { MemoryBackend } from '../../src/store/memory/memory-backend.js'
import { SqliteBackend } from '../../src/store/sqlite/sqlite-backend.js'
import type { Store, WatchEvent } from '../../src/store/types.js'

function arg(name: string, dflt: number): number {
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = a === `--${name}` ? argv[i + 1] : a.startsWith(`--${name}=`) ? a.slice(name.length + 3) : undefined
    if (v === undefined) continue
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got "${v}"`)
    return n
  }
  return dflt
}

const WRITES = arg('writes', 5000)
const WATCHERS = arg('watchers', 100)
const NS = 'bench'

/** A small App, shaped like what `edgeplane apply` stores. */
function appObject(i: number, replicas = 3): Resource {
  return {
    apiVersion: API_VERSION,
    kind: 'App',
    metadata: { name: `app-${i}`, namespace: NS, labels: { team: 'edge', tier: i % 2 ? 'edge' : 'central' } },
    spec: {
      replicas,
      template: {
        runtime: 'process', command: 'node', args: ['server.js'], env: { PORT: '8080', LOG_LEVEL: 'info' },
        ports: [{ name: 'http', protocol: 'tcp' }], resources: { cpu: '250m', memory: '128Mi' }, stopGracePeriodSeconds: 10,
      },
      placement: { regions: ['eu-west', 'us-east'], tiers: ['edge'], spread: { by: 'site' } },
      traffic: { host: `app-${i}.example.com`, port: 'http' },
    },
  }
}

/** Wraps a backend to stamp when each commit returned (after the transaction committed). */
class TimedBackend implements Backend {
  commitAt: Float64Array = new Float64Array(1024)
  constructor(private inner: Backend) {}
  get driver(): string { return this.inner.driver }
  get(kind: string, ns: string, name: string) { return this.inner.get(kind, ns, name) }
  list(kind: string, ns: string | undefined) { return this.inner.list(kind, ns) }
  listJson(kind: string, ns: string | undefined) { return this.inner.listJson(kind, ns) }
  async commit(kind: string, ns: string, name: string, mutate: Mutation): Promise<WatchEvent> {
    const ev = await this.inner.commit(kind, ns, name, mutate)
    if (ev.revision >= this.commitAt.length) {
      const grown = new Float64Array(Math.max(ev.revision + 1, this.commitAt.length * 2))
      grown.set(this.commitAt)
      this.commitAt = grown
    }
    this.commitAt[ev.revision] = performance.now()
    return ev
  }
  history(after: number, kind: string | undefined) { return this.inner.history(after, kind) }
  revision() { return this.inner.revision() }
  compactedRevision() { return this.inner.compactedRevision() }
  compact(r: number) { return this.inner.compact(r) }
  close() { return this.inner.close() }
}

type Driver = 'sqlite' | 'memory'
const tempDirs: string[] = []
function cleanup(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}
process.on('SIGINT', () => { cleanup(); process.exit(130) })

function openBench(driver: Driver): { store: Store; timed: TimedBackend; path?: string } {
  let inner: Backend
  let path: string | undefined
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'edgeplane-bench-store-'))
    tempDirs.push(dir)
    path = join(dir, 'edgeplane.db')
    inner = new SqliteBackend(path)
  } else {
    inner = new MemoryBackend()
  }
  const timed = new TimedBackend(inner)
  return { store: new LogStore(timed), timed, path }
}

function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

interface WriteFigures { writesPerSec: number; p50Ms: number; p99Ms: number; maxMs: number }
interface FanoutFigures { writes: number; watchers: number; events: number; eventsPerSec: number; writesPerSec: number; lagP50Ms: number; lagP99Ms: number; lagMaxMs: number }
interface DriverFigures { create: WriteFigures; update: WriteFigures; fanout: FanoutFigures; dbBytes?: number }

async function sequential(driver: Driver): Promise<{ create: WriteFigures; update: WriteFigures; dbBytes?: number }> {
  const { store, path } = openBench(driver)
  try {
    const lat = new Float64Array(WRITES)
    const versions: string[] = new Array(WRITES)
    let t0 = performance.now()
    for (let i = 0; i < WRITES; i++) {
      const s = performance.now()
      const created = await store.create(appObject(i))
      lat[i] = performance.now() - s
      versions[i] = created.metadata.resourceVersion!
    }
    const create = figures(lat, performance.now() - t0)

    t0 = performance.now()
    for (let i = 0; i < WRITES; i++) {
      const obj = appObject(i, 4)
      obj.metadata.resourceVersion = versions[i] // compare-and-swap on the version just read
      const s = performance.now()
      await store.update(obj)
      lat[i] = performance.now() - s
    }
    const update = figures(lat, performance.now() - t0)
    if ((await store.revision()) !== 2 * WRITES) throw new Error('unexpected revision after the write phase')
    const dbBytes = path ? fileBytes(path) : undefined
    return { create, update, dbBytes }
  } finally {
    await store.close()
  }
}

function fileBytes(path: string): number {
  let n = 0
  for (const p of [path, `${path}-wal`]) {
    try { n += statSync(p).size } catch { /* absent */ }
  }
  return n
}

function figures(lat: Float64Array, elapsedMs: number): WriteFigures {
  const sorted = Float64Array.from(lat).sort()
  return { writesPerSec: (lat.length / elapsedMs) * 1000, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1] }
}

async function fanout(driver: Driver): Promise<FanoutFigures> {
  const { store, timed } = openBench(driver)
  const watches: { close(): void }[] = []
  try {
    const SEED = Math.min(100, WRITES)
    const versions: string[] = []
    for (let i = 0; i < SEED; i++) versions.push((await store.create(appObject(i))).metadata.resourceVersion!)
    const from = await store.revision()

    const total = WRITES * WATCHERS
    const lags = new Float64Array(total)
    let received = 0
    let resolveDone!: () => void
    const done = new Promise<void>((r) => { resolveDone = r })
    for (let w = 0; w < WATCHERS; w++) {
      watches.push(await store.watch({ kind: 'App', fromRevision: from }, (ev) => {
        lags[received++] = performance.now() - timed.commitAt[ev.revision]
        if (received === total) resolveDone()
      }))
    }

    const t0 = performance.now()
    for (let i = 0; i < WRITES; i++) {
      const k = i % SEED
      const obj = appObject(k, 5 + i)
      obj.metadata.resourceVersion = versions[k]
      versions[k] = (await store.update(obj)).metadata.resourceVersion!
    }
    const writesDone = performance.now()
    await done
    const elapsed = performance.now() - t0
    if (received !== total) throw new Error(`expected ${total} deliveries, got ${received}`)
    const sorted = lags.sort()
    return {
      writes: WRITES, watchers: WATCHERS, events: total,
      eventsPerSec: (total / elapsed) * 1000,
      writesPerSec: (WRITES / (writesDone - t0)) * 1000,
      lagP50Ms: quantile(sorted, 0.5), lagP99Ms: quantile(sorted, 0.99), lagMaxMs: sorted[sorted.length - 1],
    }
  } finally {
    for (const w of watches) w.close()
    await store.close()
  }
}

async function warmUp(): Promise<void> {
  const { store } = openBench('memory')
  for (let i = 0; i < 500; i++) {
    const c = await store.create(appObject(i))
    await store.update({ ...appObject(i, 4), metadata: { ...c.metadata } })
  }
  await store.close()
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? '-' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function table(rows: [string, string, string][]): string {
  const head: [string, string, string] = ['', 'sqlite', 'memory']
  const all = [head, ...rows]
  const w = [0, 1, 2].map((c) => Math.max(...all.map((r) => r[c].length)))
  const line = (r: [string, string, string]) => `${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padStart(w[2])}`
  return [line(head), '-'.repeat(w[0] + w[1] + w[2] + 4), ...rows.map(line)].join('\n')
}

async function main(): Promise<void> {
  const sample = appObject(0)
  console.log(`edgeplane store bench: ${WRITES} writes per phase, ${WATCHERS} watchers; node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), temp dir ${tmpdir()}`)
  console.log(`object: App, ${Buffer.byteLength(JSON.stringify(sample))} bytes of JSON before metadata is added\n`)
  await warmUp()
  const results: Record<Driver, DriverFigures> = {} as Record<Driver, DriverFigures>
  for (const driver of ['sqlite', 'memory'] as const) {
    const seq = await sequential(driver)
    const fo = await fanout(driver)
    results[driver] = { ...seq, fanout: fo }
  }
  const s = results.sqlite
  const m = results.memory
  const ms = (n: number) => fmt(n, 3)
  console.log(table([
    ['create writes/s (sequential)', fmt(s.create.writesPerSec), fmt(m.create.writesPerSec)],
    ['create latency p50 ms', ms(s.create.p50Ms), ms(m.create.p50Ms)],
    ['create latency p99 ms', ms(s.create.p99Ms), ms(m.create.p99Ms)],
    ['create latency max ms', ms(s.create.maxMs), ms(m.create.maxMs)],
    ['update writes/s (sequential, CAS)', fmt(s.update.writesPerSec), fmt(m.update.writesPerSec)],
    ['update latency p50 ms', ms(s.update.p50Ms), ms(m.update.p50Ms)],
    ['update latency p99 ms', ms(s.update.p99Ms), ms(m.update.p99Ms)],
    ['update latency max ms', ms(s.update.maxMs), ms(m.update.maxMs)],
    [`fan-out: ${WRITES} writes x ${WATCHERS} watchers, events/s`, fmt(s.fanout.eventsPerSec), fmt(m.fanout.eventsPerSec)],
    ['fan-out: writes/s while fanning out', fmt(s.fanout.writesPerSec), fmt(m.fanout.writesPerSec)],
    ['fan-out: delivery lag p50 ms', ms(s.fanout.lagP50Ms), ms(m.fanout.lagP50Ms)],
    ['fan-out: delivery lag p99 ms', ms(s.fanout.lagP99Ms), ms(m.fanout.lagP99Ms)],
    ['fan-out: delivery lag max ms', ms(s.fanout.lagMaxMs), ms(m.fanout.lagMaxMs)],
    ['database size after write phase (db+wal)', s.dbBytes === undefined ? '-' : `${fmt(s.dbBytes / 1024)} KiB`, '-'],
  ]))
  console.log()
  console.log(JSON.stringify({
    bench: 'store', writes: WRITES, watchers: WATCHERS, node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model,
    sqlite: { settings: { journal_mode: 'wal', synchronous: 'full' }, ...s }, memory: m,
  }))
}

try {
  await main()
} finally {
  cleanup()
}
