// Admission of agent hellos: at most `rate` per second after a burst, at most maxConcurrent in
// progress, and past maxQueued waiting a clean refusal to retry later. On a manual clock.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isApiError } from '../../src/api/errors.js'
import { ManualClock } from '../../src/lib/clock.js'
import { Admission } from '../../src/server/link/admission.js'

const turn = () => new Promise((r) => setImmediate(r))

test('admission: a burst at once, then the rate; concurrency bounded; past the queue refused', async () => {
  const clock = new ManualClock()
  const adm = new Admission({ clock, ratePerSecond: 10, burst: 2, maxConcurrent: 3, maxQueued: 3 })
  const admitted: number[] = []
  const releases: (() => void)[] = []
  const ask = (k: number) => adm.acquire().then((release) => { admitted.push(k); releases.push(release) })
  const waits = [1, 2, 3, 4].map(ask)
  await turn()
  assert.deepEqual(admitted, [1, 2], 'the burst at once')
  assert.equal(adm.queued, 2)

  // The queue holds 2 of 3: one more may wait, the next is refused.
  const fifth = ask(5)
  await assert.rejects(adm.acquire(), (err: unknown) => isApiError(err, 'Unavailable') && /retry later/.test((err as Error).message))

  clock.advance(99)
  await turn()
  assert.deepEqual(admitted, [1, 2], 'a token comes back after 100 ms, not before')
  clock.advance(1)
  await turn()
  assert.deepEqual(admitted, [1, 2, 3])

  // Three in progress: the fourth waits for a release, however many tokens there are.
  clock.advance(1000)
  await turn()
  assert.deepEqual(admitted, [1, 2, 3], 'at most maxConcurrent in progress')
  releases[0]()
  releases[0]() // twice is once
  await turn()
  assert.deepEqual(admitted, [1, 2, 3, 4])
  assert.equal(adm.inFlight, 3)
  releases[1]()
  await Promise.all([...waits, fifth])
  assert.deepEqual(admitted, [1, 2, 3, 4, 5])
  adm.stop()
})
