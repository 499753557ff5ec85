// A tiny session-based game server: a WebSocket echo that admits a user only with a valid session
// token for this instance. Tokens are `payload.mac`: base64url JSON {sid, inst, slot, exp} and an
// HMAC-SHA256 of the payload with EDGEPLANE_SESSION_KEY (given to this instance by its agent), so
// the check needs no call to anyone. Connect with ws://HOST:PORT/?token=TOKEN.
import { createServer } from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { WebSocketServer } from 'ws'

const key = process.env.EDGEPLANE_SESSION_KEY ?? ''
const instance = process.env.EDGEPLANE_INSTANCE ?? ''
const slots = Number(process.env.EDGEPLANE_SESSION_SLOTS ?? 1)
/** The newest session per slot: a recycled slot's previous user is let go. */
const bySlot = new Map()

function verify(token) {
  const [payload, mac, extra] = String(token ?? '').split('.')
  if (!payload || !mac || extra !== undefined || !key) return undefined
  const want = createHmac('sha256', key).update(payload).digest()
  const got = Buffer.from(mac, 'base64url')
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString())
    if (c.inst !== instance || !(c.slot >= 0 && c.slot < slots) || c.exp * 1000 <= Date.now()) return undefined
    return c
  } catch { return undefined }
}

const http = createServer((req, res) => {
  if (req.url === '/healthz') return res.writeHead(200).end('ok\n')
  res.writeHead(426, { 'content-type': 'text/plain' }).end('connect with a WebSocket and ?token=\n')
})
const wss = new WebSocketServer({ noServer: true })
http.on('upgrade', (req, socket, head) => {
  const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token')
  const claims = verify(token)
  if (!claims) {
    socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\n\r\ninvalid or expired session token\n')
    return
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    bySlot.get(claims.slot)?.close(4000, 'session replaced')
    bySlot.set(claims.slot, ws)
    ws.send(JSON.stringify({ welcome: claims.sid, instance, slot: claims.slot, site: process.env.EDGEPLANE_SITE }))
    ws.on('message', (data) => ws.send(`echo: ${data}`))
    ws.on('close', () => { if (bySlot.get(claims.slot) === ws) bySlot.delete(claims.slot) })
    // The session ends at its expiry even if the user stays.
    setTimeout(() => ws.close(4001, 'session expired'), Math.max(0, claims.exp * 1000 - Date.now())).unref()
  })
})
http.listen(Number(process.env.PORT ?? 9000), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => { wss.clients.forEach((c) => c.close(1001, 'server stopping')); http.close(() => process.exit(0)) })
