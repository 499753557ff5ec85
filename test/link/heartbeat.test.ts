// The hub's heartbeat: every link pinged once per interval, and a link silent for two intervals cut
// as HeartbeatMissed while the others stay. (Pinging the links in eight slices of the interval was
// tried: at 10,000 links the idle server's CPU went from 17.6% to 25.7%: BENCHMARKS.md.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { until } from '../lib/until.js'
import { helloOf, hubFixture } from './hub-fixture.js'

const LINKS = 16
const INTERVAL_MS = 4000

test('heartbeat: each link is pinged once per interval; a silent one is cut, the others stay', async (t) => {
  const { hub, clock, dial } = await hubFixture(t, { heartbeatSeconds: INTERVAL_MS / 1000 })
  const pings = new Array<number>(LINKS).fill(0)
  const clients = []
  for (let k = 1; k <= LINKS; k++) {
    const c = await dial()
    clients.push(c)
    c.on('ping', () => { pings[k - 1]++ })
    c.send(JSON.stringify(helloOf(k)))
  }
  await until('every link welcomed', () => hub.connectedCount() === LINKS)
  const total = () => pings.reduce((a, b) => a + b, 0)

  clock.advance(INTERVAL_MS - 1)
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(total(), 0, 'no ping before the interval')
  clock.advance(1)
  await until('every link pinged', () => pings.every((n) => n === 1))

  // Link 1 stops answering: its pongs no longer arrive (the client's automatic pong is paused with
  // its socket), the others keep answering. Two intervals later it is cut for the missed heartbeats.
  clients[0].pause()
  for (let k = 0; k < 3 * 8; k++) {
    clock.advance(INTERVAL_MS / 8)
    await new Promise((r) => setTimeout(r, 5))
  }
  await until('the silent link is cut', () => hub.connectedCount() === LINKS - 1)
  assert.equal(hub['stats'].get('n1')?.reason, 'HeartbeatMissed')
})
