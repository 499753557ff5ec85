// Link frames: with permessage-deflate negotiated (and context takeover, as the link keeps it), the
// link compresses only messages of at least LINK_COMPRESS_MIN_BYTES. Checked on the wire: a raw
// client reads the RSV1 bit ("compressed") of each frame.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { once } from 'node:events'
import { WebSocketServer } from 'ws'
import { LINK_COMPRESS_MIN_BYTES, LINK_DEFLATE, sendLinkText } from '../../src/api/link.js'

test('link frames: short messages go uncompressed, long ones compressed', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: LINK_DEFLATE })
  t.after(() => wss.close())
  await once(wss, 'listening')
  const short = JSON.stringify({ t: 'desired', version: 7, upsert: [{ name: 'web-1' }] })
  const long = JSON.stringify({ t: 'desired', version: 8, upsert: Array.from({ length: 40 }, (_, k) => ({ name: `web-${k}`, app: 'web' })) })
  assert.ok(short.length < LINK_COMPRESS_MIN_BYTES && long.length >= LINK_COMPRESS_MIN_BYTES)
  wss.on('connection', (ws) => { sendLinkText(ws, short); sendLinkText(ws, long) })

  const { port } = wss.address() as { port: number }
  const sock = connect(port, '127.0.0.1')
  t.after(() => sock.destroy())
  sock.write(['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits', '', ''].join('\r\n'))
  let buf = Buffer.alloc(0)
  const frames: { rsv1: boolean; length: number }[] = []
  let headersDone = false
  for await (const chunk of sock) {
    buf = Buffer.concat([buf, chunk as Buffer])
    if (!headersDone) {
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) continue
      const head = buf.subarray(0, end).toString()
      assert.match(head, /^HTTP\/1\.1 101/)
      assert.match(head, /permessage-deflate/i, 'the extension was negotiated')
      buf = buf.subarray(end + 4)
      headersDone = true
    }
    // Unmasked server frames: [FIN|RSV1|…|opcode] [len] [ext len] payload.
    while (buf.length >= 2) {
      let len = buf[1] & 0x7f
      let off = 2
      if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); off = 4 }
      if (buf.length < off + len) break
      frames.push({ rsv1: (buf[0] & 0x40) !== 0, length: len })
      buf = buf.subarray(off + len)
    }
    if (frames.length >= 2) break
  }
  assert.equal(frames[0].rsv1, false, 'the short message is sent as it is')
  assert.equal(frames[0].length, Buffer.byteLength(short))
  assert.equal(frames[1].rsv1, true, 'the long message is compressed')
  assert.ok(frames[1].length < Buffer.byteLength(long))
})
