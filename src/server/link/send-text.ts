import type { WebSocket } from 'ws'
import { LINK_COMPRESS_MIN_BYTES } from '../../api/link.js'

/** Sends a text frame on a link, compressed only when it is long enough to be worth a zlib round trip. */
export function sendText(ws: Pick<WebSocket, 'send'>, data: string): void {
  ws.send(data, { compress: data.length >= LINK_COMPRESS_MIN_BYTES })
}
