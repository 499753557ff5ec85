// Paged lists (limit/continue) from one consistent snapshot: the first page reads the whole
// (filtered) list at one revision and keeps the rest here; the continue token names that snapshot
// and an offset. A token whose revision is compacted, or whose snapshot is gone (expired, evicted,
// another server, a restart), is 410 Expired: the client lists again, as with Kubernetes.
import { randomUUID } from 'node:crypto'
import { ApiError } from '../../api/errors.js'

interface Snapshot { key: string; revision: number; items: string[]; at: number }

interface Token { v: 1; rv: number; id: string; off: number }

export interface Page { items: string[]; revision: number; continue?: string; remainingItemCount?: number }

export interface ListSnapshotOptions {
  now?: () => number
  /** How long a snapshot waits for its next page. */
  ttlMs?: number
  /** Objects held across all snapshots; the oldest snapshots go first. */
  maxItems?: number
}

export class ListSnapshots {
  private snaps = new Map<string, Snapshot>()
  private held = 0
  private now: () => number
  private ttlMs: number
  private maxItems: number

  constructor(opts: ListSnapshotOptions = {}) {
    this.now = opts.now ?? Date.now
    this.ttlMs = opts.ttlMs ?? 5 * 60_000
    this.maxItems = opts.maxItems ?? 200_000
  }

  /** The first page of `items` (already filtered, in their final order), read at `revision`. */
  first(key: string, revision: number, items: string[], limit: number): Page {
    if (items.length <= limit) return { items, revision }
    this.expire()
    const id = randomUUID()
    this.snaps.set(id, { key, revision, items, at: this.now() })
    this.held += items.length
    while (this.held > this.maxItems && this.snaps.size > 1) this.drop(this.snaps.keys().next().value as string)
    return this.page(id, revision, items, 0, limit)
  }

  /** The page a continue token points at; `compacted` is the store's compaction point. */
  next(key: string, token: string, limit: number | undefined, compacted: number): Page {
    const t = decode(token)
    if (t.rv < compacted) throw new ApiError('Compacted', `the continue token's revision ${t.rv} has been compacted (oldest available is ${compacted}); list again without continue`)
    this.expire()
    const snap = this.snaps.get(t.id)
    if (!snap || snap.revision !== t.rv) throw new ApiError('Compacted', `the continue token has expired (its snapshot at revision ${t.rv} is no longer held); list again without continue`)
    if (snap.key !== key) throw new ApiError('BadRequest', 'the continue token belongs to another list (resource, namespace or selector differ)', { causes: [{ field: 'continue', reason: 'FieldValueInvalid', message: 'token from another list' }] })
    snap.at = this.now()
    return this.page(t.id, snap.revision, snap.items, t.off, limit ?? snap.items.length)
  }

  private page(id: string, revision: number, items: string[], off: number, limit: number): Page {
    const end = Math.min(items.length, off + Math.max(1, limit))
    const page: Page = { items: items.slice(off, end), revision }
    if (end < items.length) {
      page.continue = encode({ v: 1, rv: revision, id, off: end })
      page.remainingItemCount = items.length - end
    }
    return page
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs
    for (const [id, s] of this.snaps) if (s.at < cutoff) this.drop(id)
  }

  private drop(id: string): void {
    const s = this.snaps.get(id)
    if (!s) return
    this.held -= s.items.length
    this.snaps.delete(id)
  }
}

function encode(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url')
}

function decode(token: string): Token {
  let t: Partial<Token> | undefined
  try { t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) } catch { t = undefined }
  if (!t || t.v !== 1 || !Number.isSafeInteger(t.rv) || typeof t.id !== 'string' || !Number.isSafeInteger(t.off) || t.off! < 0) {
    throw new ApiError('BadRequest', 'the continue token is not one this server issued', { causes: [{ field: 'continue', reason: 'FieldValueInvalid', message: 'malformed continue token' }] })
  }
  return t as Token
}
