// DNS over TCP (RFC 7766): 2-byte length framing, several (pipelined) queries per connection,
// answered in order; idle connections closed; a peer that sends an oversized frame or stops reading
// its answers is disconnected, so no connection holds more than one frame plus bounded output.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { ListenAddress } from './listen-address.js'

export interface TcpLimits {
  maxQuerySize: number
  idleTimeoutMs: number
  maxConnections: number
}

export interface TcpEvents {
  handle(msg: Buffer, clientAddress: string): Buffer | undefined
  /** A frame too large, or a connection turned away or cut because its peer does not read. */
  dropped(reason: 'oversized' | 'overload'): void
  error(err: Error): void
}

/** Unread answers we keep for one peer before giving up on it. */
const MAX_PENDING_OUTPUT = 1 << 20

export function listenTcp(at: ListenAddress, limits: TcpLimits, ev: TcpEvents): Promise<{ server: Server; address: AddressInfo; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer({ noDelay: true }, (socket) => serve(socket, limits, ev, sockets))
  server.maxConnections = limits.maxConnections
  server.on('drop', () => ev.dropped('overload'))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: at.host, port: at.port }, () => {
      server.off('error', reject)
      server.on('error', ev.error)
      resolve({ server, address: server.address() as AddressInfo, sockets })
    })
  })
}

function serve(socket: Socket, limits: TcpLimits, ev: TcpEvents, sockets: Set<Socket>): void {
  sockets.add(socket)
  const client = socket.remoteAddress ?? ''
  let pending: Buffer | undefined
  socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy())
  socket.on('error', () => {}) // resets from clients are routine; 'close' cleans up
  socket.on('close', () => sockets.delete(socket))
  socket.on('data', (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0)
      if (len > limits.maxQuerySize) {
        ev.dropped('oversized')
        socket.destroy()
        return
      }
      if (buf.length < 2 + len) break
      const reply = ev.handle(buf.subarray(2, 2 + len), client)
      buf = buf.subarray(2 + len)
      if (!reply) continue
      const frame = Buffer.allocUnsafe(2 + reply.length)
      frame.writeUInt16BE(reply.length, 0)
      reply.copy(frame, 2)
      socket.write(frame)
      if (socket.writableLength > MAX_PENDING_OUTPUT) {
        ev.dropped('overload')
        socket.destroy()
        return
      }
    }
    // Keep only the unread tail, copied, so one small leftover does not pin a large chunk.
    pending = buf.length ? Buffer.from(buf) : undefined
  })
}
