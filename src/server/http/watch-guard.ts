// A per-connection bound on what a watch may leave unread. A watcher that stops reading kept every
// event in the server's memory (20 such watches: +350 MB, /healthz stalled 3.4 s); past the bound it
// is cut: told why in a last ERROR event (410 Expired, so clients relist and watch again), then closed.
import type { ServerResponse } from 'node:http'
import { ApiError, toStatus } from '../../api/errors.js'

/** Bytes a watch connection may leave unread before it is cut (default). */
export const WATCH_BUFFER_BYTES = 16 * 1024 * 1024
/** How long a cut watcher has to take its last bytes before its socket is destroyed. */
const CUT_GRACE_MS = 5000

/**
 * Writes `text` unless the connection already holds more than `limit` unread bytes; then cuts it
 * (calls `stop`) and returns false.
 */
export function watchBufferGuard(raw: ServerResponse, limit: number, stop: () => void, onCut?: () => void): (text: string) => boolean {
  let cut = false
  return (text) => {
    if (cut || raw.writableEnded || raw.destroyed) return false
    if (raw.writableLength + text.length <= limit) {
      raw.write(text)
      return true
    }
    cut = true
    onCut?.()
    const why = new ApiError('Compacted', `watch closed by the server: this client left more than ${limit} bytes unread (it reads slower than events arrive); watch again from the last resourceVersion it saw, or list again`)
    raw.write(JSON.stringify({ type: 'ERROR', object: toStatus(why) }) + '\n')
    stop()
    setTimeout(() => { if (!raw.destroyed) raw.destroy() }, CUT_GRACE_MS).unref()
    return false
  }
}
