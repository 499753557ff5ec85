// DNS over UDP: one datagram in, at most one datagram back to the sender.
import { createSocket, type Socket } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import type { ListenAddress } from './listen-address.js'

export type Handler = (msg: Buffer, clientAddress: string) => Buffer | undefined

export function listenUdp(at: ListenAddress, handle: Handler, onError: (err: Error) => void): Promise<{ socket: Socket; address: AddressInfo }> {
  const socket = createSocket({ type: at.family === 6 ? 'udp6' : 'udp4' })
  socket.on('message', (msg, rinfo) => {
    const reply = handle(msg, rinfo.address)
    // A failed send (e.g. the client's port is gone) is the client's loss, not ours to report.
    if (reply) socket.send(reply, rinfo.port, rinfo.address, ignore)
  })
  return new Promise((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(at.port, at.host, () => {
      socket.off('error', reject)
      socket.on('error', onError)
      resolve({ socket, address: socket.address() })
    })
  })
}

function ignore(): void {}
