// The cache (informer) recovers when its watch is dropped, even if the store refuses the relist for
// a while: it retries, reports each failure, and tells its handlers what changed meanwhile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openStore } from '../../src/store/open.js'
import { Cache } from '../../src/store/cache.js'
import type { Store, WatchEvent } from '../../src/store/types.js'
import { app } from './helpers.js'

test('cache: a dropped watch relists; failed relists are retried and reported, never thrown', async (t) => {
  const store = openStore({ driver: 'memory' })
  t.after(() => store.close())
  let dropWatch: ((err: Error) => void) | undefined
  let failLists = 0
  // The real store, with two seams: the test can drop the watch, and make the next lists fail.
  const flaky: Store = Object.create(store)
  flaky.list = (async (kind: string, opts?: unknown) => {
    if (failLists > 0) { failLists--; throw new Error('database is locked') }
    return store.list(kind, opts as never)
  }) as Store['list']
  flaky.watch = (async (opts, onEvent, onClose) => {
    const w = await store.watch(opts, onEvent, onClose)
    dropWatch = (err) => { w.close(); onClose?.(err) }
    return w
  }) as Store['watch']

  await store.create(app('a'))
  const cache = new Cache(flaky, 'App')
  const seen: string[] = []
  cache.on((ev: WatchEvent) => seen.push(`${ev.type} ${ev.object.metadata.name}`))
  const errors: string[] = []
  cache.onRelistError = (err) => errors.push((err as Error).message)
  await cache.start()
  t.after(() => cache.stop())
  assert.deepEqual(seen, ['ADDED a'])

  // While the watch is down, b appears and a goes; the first two relists fail.
  failLists = 2
  dropWatch!(new Error('slow reader'))
  await store.create(app('b'))
  await store.delete('App', 'default', 'a')
  const deadline = Date.now() + 10_000
  while (!cache.get('default', 'b') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(errors, ['database is locked', 'database is locked'])
  assert.deepEqual(seen, ['ADDED a', 'DELETED a', 'ADDED b'])
  assert.deepEqual(cache.list().map((o) => o.metadata.name), ['b'])

  // And it watches again: a later change arrives.
  await store.create(app('c'))
  while (!cache.get('default', 'c') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  assert.ok(cache.get('default', 'c'))
})
