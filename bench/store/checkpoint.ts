// What SQLite's automatic WAL checkpoint costs the commit path: commits of 3 session-sized writes
// (the store's schema, time-ordered names, after 30,000 rows), their latency distribution with the
// checkpoint every --autocheckpoint WAL pages (SQLite's default 1,000; 0 = never), and with
// synchronous NORMAL (what the driver runs: the checkpoint fsyncs) or OFF (it does not).
//   npx tsx bench/store/checkpoint.ts [--autocheckpoint 1000] [--synchronous NORMAL] [--commits 7000]
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DDL, SQL } from '../../src/store/sql/schema.js'

const argv = process.argv.slice(2)
const opt = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const AUTO = Number(opt('autocheckpoint', '1000'))
const SYNC = opt('synchronous', 'NORMAL')
const COMMITS = Number(opt('commits', '7000'))

const dir = mkdtempSync(join(tmpdir(), 'ep-ckpt-'))
const db = new Database(join(dir, 'bench.db'))
db.pragma('journal_mode = WAL')
db.pragma(`synchronous = ${SYNC}`)
db.pragma(`wal_autocheckpoint = ${AUTO}`)
for (const ddl of DDL) db.exec(ddl)
const get = db.prepare(SQL.get), upsert = db.prepare(SQL.upsert), append = db.prepare(SQL.append), setRevision = db.prepare(SQL.setRevision)
const value = JSON.stringify({ kind: 'Session', pad: 'x'.repeat(640) })
let revision = 0
const commit = db.transaction((n: number) => {
  for (let k = 0; k < n; k++) {
    revision++
    const name = `s${Date.now().toString(16)}${revision.toString(16).padStart(8, '0')}`
    get.get('Session', 'default', name)
    upsert.run('Session', 'default', name, revision, value)
    append.run(revision, 'Session', 'default', name, 'ADDED', value)
  }
  setRevision.run(revision)
})
for (let k = 0; k < 3000; k++) commit(10)

const lat: number[] = []
const t0 = performance.now()
for (let k = 0; k < COMMITS; k++) {
  const t = performance.now()
  commit(3)
  lat.push(performance.now() - t)
}
const perCommitUs = ((performance.now() - t0) / COMMITS) * 1000
db.close()
rmSync(dir, { recursive: true, force: true })
lat.sort((a, b) => a - b)
const at = (q: number) => +lat[Math.min(lat.length - 1, Math.floor(lat.length * q))].toFixed(3)
const result = {
  bench: 'store-checkpoint', autocheckpoint: AUTO, synchronous: SYNC, commits: COMMITS, cpus: cpus().length, loadavg: +loadavg()[0].toFixed(2),
  perCommitUs: Math.round(perCommitUs), p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: +lat[lat.length - 1].toFixed(2), over5Ms: lat.filter((x) => x > 5).length,
}
console.log(`autocheckpoint ${AUTO}, synchronous ${SYNC}: ${result.perCommitUs} µs per commit of 3 writes; p50 ${result.p50Ms} / p99 ${result.p99Ms} / p99.9 ${result.p999Ms} / max ${result.maxMs} ms; ${result.over5Ms} of ${COMMITS} over 5 ms`)
console.log(JSON.stringify(result))
