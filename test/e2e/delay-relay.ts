// A TCP relay that adds a fixed one-way delay: every chunk read on one side is written to the other
// side DELAY_MS later, in order (a half-close is delayed the same way, a reset ends both sides).
// Two relays' worth of delay (one per direction) gives the link a round trip of 2·DELAY_MS on top of
// whatever the network under it does. It stands in for `tc netem delay` where the kernel has no netem.
//
//   node --import tsx test/e2e/delay-relay.ts LISTEN_PORT TARGET_HOST:TARGET_PORT DELAY_MS
//
// Listens on 127.0.0.1:LISTEN_PORT (0 picks a free port) and prints
// "delay-relay listening on 127.0.0.1:<port>" once it accepts connections.
import { connect, createServer, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

const [listenArg, targetArg, delayArg] = process.argv.slice(2)
const listenPort = Number(listenArg)
const delayMs = Number(delayArg)
const m = /^(.+):(\d+)$/.exec(targetArg ?? '')
if (!m || !Number.isInteger(listenPort) || listenPort < 0 || !(delayMs >= 0)) {
  process.stderr.write('usage: delay-relay.ts LISTEN_PORT TARGET_HOST:TARGET_PORT DELAY_MS\n')
  process.exit(2)
}
const target = { host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) }

/** Forwards from → to, each chunk (and the end of stream) DELAY_MS after it was read. */
function delayed(from: Socket, to: Socket): void {
  const queue: { at: number; chunk: Buffer | null }[] = []
  let timer: NodeJS.Timeout | undefined
  const pump = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length && queue[0].at <= now) {
      const { chunk } = queue.shift()!
      if (to.destroyed) return
      if (chunk) to.write(chunk)
      else to.end()
    }
    if (queue.length) timer = setTimeout(pump, Math.max(1, queue[0].at - now))
  }
  const enqueue = (chunk: Buffer | null) => {
    queue.push({ at: performance.now() + delayMs, chunk })
    if (!timer) timer = setTimeout(pump, delayMs)
  }
  from.on('data', (chunk: Buffer) => enqueue(chunk))
  from.on('end', () => enqueue(null))
  // Once this side is gone, so is the other, after the same delay: torn down at once after a reset,
  // else ended (after what was queued) and torn down if it lingers.
  from.on('close', (hadError) => {
    setTimeout(() => {
      if (to.destroyed) return
      if (hadError) return void to.destroy()
      to.end()
      setTimeout(() => to.destroy(), 5_000).unref()
    }, delayMs + 1)
  })
}

const server = createServer({ allowHalfOpen: true }, (client) => {
  const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true })
  client.setNoDelay(true)
  upstream.setNoDelay(true)
  client.on('error', () => { /* handled through close */ })
  upstream.on('error', () => { /* handled through close */ })
  delayed(client, upstream)
  delayed(upstream, client)
})

server.listen({ host: '127.0.0.1', port: listenPort }, () => {
  const addr = server.address() as { port: number }
  process.stdout.write(`delay-relay listening on 127.0.0.1:${addr.port} -> ${target.host}:${target.port} (+${delayMs} ms each way)\n`)
})
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(0))
