// A LinkHub on a memory store behind a loopback WebSocket server, for tests of the hub itself. The
// nth connection speaks for node `n<n>` of site `s<n>`; dial() opens one and closes it after the test.
import type { TestContext } from 'node:test'
import { once } from 'node:events'
import { WebSocket, WebSocketServer } from 'ws'
import type { Instance } from '../../src/api/kinds/index.js'
import type { HelloMessage } from '../../src/api/link.js'
import { ManualClock } from '../../src/lib/clock.js'
import { DesiredIndex } from '../../src/server/link/desired-index.js'
import { LinkHub, type LinkHubOptions } from '../../src/server/link/hub.js'
import { StatusWriter } from '../../src/server/link/status-writer.js'
import { Cache } from '../../src/store/cache.js'
import { openStore } from '../../src/store/open.js'
import { log } from '../controllers/helpers.js'

export interface HubFixture { hub: LinkHub; clock: ManualClock; index: DesiredIndex; dial: () => Promise<WebSocket> }

/** fixture.gateway: whether the nth connection's credential allows a gateway (default: yes). */
export async function hubFixture(t: TestContext, opts: Partial<LinkHubOptions> = {}, fixture: { gateway?: (n: number) => boolean } = {}): Promise<HubFixture> {
  const store = openStore({ driver: 'memory' })
  const instances = new Cache<Instance>(store, 'Instance')
  await instances.start()
  const clock = new ManualClock()
  const index = new DesiredIndex(instances.revision)
  const hub = new LinkHub({
    store, clock, log, index, status: new StatusWriter(store, instances, log), heartbeatSeconds: 4, ...opts,
  })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  let n = 0
  wss.on('connection', (ws) => { n++; hub.accept(ws, { kind: 'node', node: `n${n}`, site: `s${n}`, gateway: fixture.gateway?.(n) ?? true } as never, { bytesRead: 0, bytesWritten: 0 }) })
  const clients: WebSocket[] = []
  t.after(async () => {
    for (const c of clients) c.terminate()
    hub.close()
    await new Promise((r) => wss.close(r))
    instances.stop()
    await store.close()
  })
  const { port } = wss.address() as { port: number }
  return {
    hub, clock, index,
    dial: async () => {
      const c = new WebSocket(`ws://127.0.0.1:${port}`)
      clients.push(c)
      await once(c, 'open')
      return c
    },
  }
}

/** The hello of node `n<k>` of site `s<k>` (what the fixture's kth connection speaks for). */
export function helloOf(k: number, extra: Partial<HelloMessage> = {}): HelloMessage {
  return {
    t: 'hello', node: `n${k}`, site: { name: `s${k}`, region: 'r', provider: 'p', tier: 'edge' }, address: '127.0.0.1',
    capacity: { cpu: 1000, memory: 1024 }, desiredVersion: 0, agent: { version: '0', pid: 1 }, ...extra,
  }
}
