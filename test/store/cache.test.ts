// The cache (informer) recovers when its watch is dropped, even if the store refuses the relist for
// a while: it retries, reports each failure, and tells its handlers what changed meanwhile. Its
// inline handlers see a group commit's events before the others do.
import { test } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

test('cache: an inline handler sees every event of a group commit before the other handlers see the first; they see all before the writers resume', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-cache-'))
  const store = openStore({ driver: 'sqlite', path: join(dir, 'db') })
  const cache = new Cache(store, 'App')
  t.after(async () => { cache.stop(); await store.close(); rmSync(dir, { recursive: true, force: true }) })
  const calls: string[] = []
  cache.on((ev: WatchEvent) => calls.push(`late1 ${ev.object.metadata.name}`))
  cache.on((ev: WatchEvent) => calls.push(`inline ${ev.object.metadata.name}`), { inline: true })
  cache.on((ev: WatchEvent) => calls.push(`late2 ${ev.object.metadata.name}`))
  await cache.start()
  // Queued in one synchronous run: one unit, committed and handed over together.
  const names = Array.from({ length: 50 }, (_, i) => `a${String(i).padStart(2, '0')}`)
  await Promise.all(names.map((n) => store.create(app(n))))
  assert.deepEqual(calls, [
    ...names.map((n) => `inline ${n}`),
    ...names.flatMap((n) => [`late1 ${n}`, `late2 ${n}`]),
  ])
  // A single write: the handlers have seen it when the writer's await returns.
  calls.length = 0
  await store.create(app('b'))
  assert.deepEqual(calls, ['inline b', 'late1 b', 'late2 b'])
})

test('cache: a handler that throws loses that event only; the other handlers and its next events are not affected, and the error is reported', async (t) => {
  const store = openStore({ driver: 'memory' })
  const cache = new Cache(store, 'App')
  t.after(async () => { cache.stop(); await store.close() })
  const seen: string[] = []
  const errors: string[] = []
  cache.onHandlerError = (err) => errors.push((err as Error).message)
  cache.on((ev: WatchEvent) => { if (ev.object.metadata.name === 'b') throw new Error('boom on b'); seen.push(`h1 ${ev.object.metadata.name}`) })
  cache.on((ev: WatchEvent) => seen.push(`h2 ${ev.object.metadata.name}`))
  await cache.start()
  await Promise.all(['a', 'b', 'c'].map((n) => store.create(app(n))))
  await store.create(app('d'))
  assert.deepEqual(seen.filter((s) => s.startsWith('h1')), ['h1 a', 'h1 c', 'h1 d'])
  assert.deepEqual(seen.filter((s) => s.startsWith('h2')), ['h2 a', 'h2 b', 'h2 c', 'h2 d'])
  assert.deepEqual(errors, ['boom on b'])
  assert.deepEqual(cache.list().map((o) => o.metadata.name).sort(), ['a', 'b', 'c', 'd'])
})
