// Durable writes/s on the SQLite store with 1, 10 and 100 concurrent writers: writes issued in the
// same event-loop turn share one transaction and one fsync (group commit).
//   npx tsx bench/store/group-commit.ts [--writes 3000]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../../src/store/open.js'
import type { Resource } from '../../src/api/meta.js'

const i = process.argv.indexOf('--writes')
const total = i >= 0 ? Number(process.argv[i + 1]) : 3000
const dir = mkdtempSync(join(tmpdir(), 'ep-gc-'))
const store = openStore({ driver: 'sqlite', path: join(dir, 'bench.db') })
const app = (n: number): Resource => ({ apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: `a${n}`, namespace: 'default' }, spec: { replicas: 1, template: { command: 'x' } } })
const out: Record<string, number> = {}
try {
  for (const writers of [1, 10, 100]) {
    const t0 = performance.now()
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let k = w; k < total; k += writers) await store.create(app(writers * 1_000_000 + k))
    }))
    out[`writers${writers}`] = Math.round(total / ((performance.now() - t0) / 1000))
    console.log(`${String(writers).padStart(3)} concurrent writer(s): ${out[`writers${writers}`].toLocaleString('en-US')} durable writes/s`)
  }
  console.log(JSON.stringify({ bench: 'store-group-commit', writes: total, cpus: cpus().length, loadavg: loadavg()[0], ...out }))
} finally {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
