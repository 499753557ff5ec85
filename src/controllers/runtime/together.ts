// Writes a controller issues together: all at once (the store commits concurrent writes in batches
// of a few milliseconds, the first acknowledged while later ones are written), and waited for all
// before the caller goes on, so none is still in flight when the next reconcile reads the caches.

/** Runs `fn` over every item concurrently, waits for all, and throws the first failure. */
export async function together<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  const failed = (await Promise.allSettled(items.map(fn))).find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
}
