// Keeps the store's history bounded: every few minutes, history older than the newest
// `keepRevisions` revisions is compacted (watchers behind that point relist).
import type { Clock, TimerHandle } from '../lib/clock.js'
import type { Logger } from '../lib/log.js'
import type { Store } from '../store/types.js'

export function startCompactor(store: Store, clock: Clock, log: Logger, keepRevisions = 50_000, everyMs = 5 * 60_000): { cancel(): void } {
  let timer: TimerHandle | undefined
  const loop = () => {
    timer = clock.setTimeout(() => {
      void (async () => {
        const rev = await store.revision()
        if (rev > keepRevisions) await store.compact(rev - keepRevisions)
      })().catch((err) => log.warn({ err }, 'compaction failed')).finally(loop)
    }, everyMs)
  }
  loop()
  return { cancel: () => timer?.cancel() }
}
