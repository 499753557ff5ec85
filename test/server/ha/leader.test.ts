// Leader election on a real PostgreSQL: one leader among several candidates; when it stops renewing
// (its process died) another takes over after the lease runs out, with a higher epoch, and the old
// leader's fenced writes are refused; a leader that loses the database steps down on its own (its
// renewal times out) and is elected again once the database is back.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { systemClock } from '../../../src/lib/clock.js'
import { createLogger } from '../../../src/lib/log.js'
import { openStore } from '../../../src/store/open.js'
import type { LogStore } from '../../../src/store/log-store.js'
import { LeaderElection } from '../../../src/server/ha/leader.js'
import { expectApiError, site } from '../../store/helpers.js'
import { pgSkip, startPostgres, type PgServer } from '../../store/postgres-server.js'
import { until } from '../../lib/until.js'

const log = createLogger('test', 'silent')
const TTL = 800
let server: PgServer
const stores: LogStore[] = []

function candidate(store: LogStore, id: string, events: string[]): LeaderElection {
  return new LeaderElection({
    leases: store.leases!, server: id, clock: systemClock, log, ttlMs: TTL, renewMs: 200, retryMs: 100,
    onElected: () => events.push(`${id} elected`), onDeposed: (why) => events.push(`${id} deposed: ${why}`),
  })
}

describe('leader election on PostgreSQL', { skip: pgSkip }, () => {
  before(async () => { server = await startPostgres({ fsync: false }) })
  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined)
    await server?.stop()
  })

  test('one leader; a leader that stops renewing is replaced with a higher epoch and its writes are fenced off', async () => {
    const url = await server.createDatabase('leader_a')
    const [s1, s2, s3] = [0, 1, 2].map(() => openStore({ driver: 'postgres', url }))
    stores.push(s1, s2, s3)
    await Promise.all([s1, s2, s3].map((s) => s.whenReady()))
    const events: string[] = []
    const e = [candidate(s1, 'r1', events), candidate(s2, 'r2', events), candidate(s3, 'r3', events)]
    e.forEach((x) => x.start())
    await until('a leader', () => e.some((x) => x.isLeader))
    await new Promise((r) => setTimeout(r, 3 * TTL)) // several renewals: still exactly one
    assert.equal(e.filter((x) => x.isLeader).length, 1, events.join('; '))
    const old = e.find((x) => x.isLeader)!
    const oldStore = [s1, s2, s3][e.indexOf(old)]
    const oldFence = old.fence()!
    const fencedOld = oldStore.withFence(() => oldFence)
    await fencedOld.create(site('by-old-leader'))
    // Its process "dies": no more renewals, no release (a stop() would release at once).
    ;(old as unknown as { stopped: boolean }).stopped = true
    const t0 = Date.now()
    await until('another leader', () => e.some((x) => x !== old && x.isLeader), 10_000)
    const took = Date.now() - t0
    assert.ok(took >= TTL / 2, `took over after ${took} ms, before the lease could expire`)
    const next = e.find((x) => x !== old && x.isLeader)!
    assert.ok(next.fence()!.epoch > oldFence.epoch, 'a higher epoch')
    const err = await expectApiError(fencedOld.create(site('late-write')), 'Unavailable')
    assert.match(err.message, /no longer holds the "controllers" lease/)
    assert.equal(await s1.get('Site', undefined, 'late-write'), undefined)
    const notLeader = [s1, s2, s3][e.indexOf(e.find((x) => x !== old && !x.isLeader)!)].withFence(() => undefined)
    await expectApiError(notLeader.create(site('x')), 'Unavailable')
    for (const x of e) if (x !== old) await x.stop()
  })

  test('a leader that loses the database steps down by itself before its lease can run out', async () => {
    const url = await server.createDatabase('leader_b')
    const s = openStore({ driver: 'postgres', url, options: { connectTimeoutMs: 300 } })
    stores.push(s)
    await s.whenReady()
    const events: string[] = []
    const e = candidate(s, 'solo', events)
    e.start()
    await until('leader', () => e.isLeader)
    await server.kill()
    await until('stepped down', () => !e.isLeader, 10_000)
    assert.match(events.at(-1)!, /solo deposed: could not renew the lease in time/)
    await server.restart()
    await until('leader again once the database is back', () => e.isLeader, 15_000)
    await e.stop()
  })
})
