// The hub's heartbeat: an interval runs as ticks, each pinging its share of the links; every quiet
// link is pinged once per interval (one that spoke both ways within it needs none), and a link
// silent for two intervals is cut as HeartbeatMissed while the others stay.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/lib/clock.js'
import { until } from '../lib/until.js'
import { helloOf, hubFixture } from './hub-fixture.js'

const LINKS = 16
const INTERVAL_MS = 4000
const TICK_MS = INTERVAL_MS / 8 // a small fleet: 8 ticks per interval

test('heartbeat: each link is pinged once per interval, spread over its ticks; a silent one is cut, the others stay', async (t) => {
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
  const settle = () => new Promise((r) => setTimeout(r, 20))

  // Every link spoke both ways when it connected (hello, welcome): none needs a ping in its first
  // interval. From the next one on, each is pinged once per interval, at its own tick.
  const interval = async () => { for (let k = 0; k < 8; k++) { clock.advance(TICK_MS); await settle() } }
  clock.advance(TICK_MS)
  await settle()
  assert.equal(total(), 0, 'no ping for links that just spoke')
  for (let k = 1; k < 8; k++) { clock.advance(TICK_MS); await settle() }
  pings.fill(0)
  clock.advance(TICK_MS)
  await until('the first tick of the next interval pinged some links', () => total() > 0)
  assert.ok(total() <= LINKS / 4, `the first tick pinged ${total()} of ${LINKS}: not spread`)
  for (let k = 1; k < 8; k++) { clock.advance(TICK_MS); await settle() }
  await until('every link pinged', () => pings.every((n) => n === 1))
  await settle()
  assert.ok(pings.every((n) => n === 1), `once each in the interval: ${pings}`)

  // Link 1 stops answering: its pongs no longer arrive (the client's automatic pong is paused with
  // its socket), the others keep answering. Two intervals later it is cut for the missed heartbeats.
  clients[0].pause()
  for (let k = 0; k < 3; k++) await interval()
  await until('the silent link is cut', () => hub.connectedCount() === LINKS - 1)
  assert.equal(hub['stats'].get('n1')?.reason, 'HeartbeatMissed')
})

test('heartbeat: a link that spoke both ways within the interval is not pinged; once quiet it is', async (t) => {
  const { hub, clock, dial } = await hubFixture(t, { heartbeatSeconds: INTERVAL_MS / 1000 })
  const pings = [0, 0]
  const clients = []
  for (let k = 1; k <= 2; k++) {
    const c = await dial()
    clients.push(c)
    c.on('ping', () => { pings[k - 1]++ })
    c.send(JSON.stringify(helloOf(k)))
  }
  await until('both links welcomed', () => hub.connectedCount() === 2)
  const interval = async () => { for (let k = 0; k < 8; k++) { clock.advance(TICK_MS); await new Promise((r) => setTimeout(r, 20)) } }
  await interval()
  await interval()
  await until('both pinged', () => pings[0] >= 1 && pings[1] >= 1)
  const before = [...pings]

  // Link 1 talks both ways: the server asks it for status and it acks.
  hub.requestStatus('n1')
  clients[0].send(JSON.stringify({ t: 'ack', version: 0 }))
  await until('the server heard link 1', () => hub['stats'].get('n1')?.lastSeen === clock.now())
  await interval()
  await until('the quiet link pinged again', () => pings[1] === before[1] + 1)
  assert.equal(pings[0], before[0], 'the talking link is not pinged')

  // An interval later link 1 has been quiet for a whole interval: it is pinged again.
  await interval()
  await until('link 1 pinged again', () => pings[0] === before[0] + 1)
})

test('heartbeat: ticks that fire late keep to the interval\'s schedule (a busy server does not stretch it)', async (t) => {
  // Every timer of this clock fires 400 ms after it was due, as on a loop busy for that long.
  class LateClock extends ManualClock {
    override setTimeout(fn: () => void, ms: number) { return super.setTimeout(fn, ms + 400) }
  }
  const clock = new LateClock()
  const { hub, dial } = await hubFixture(t, { heartbeatSeconds: INTERVAL_MS / 1000, clock })
  const pings = new Array<number>(LINKS).fill(0)
  for (let k = 1; k <= LINKS; k++) {
    const c = await dial()
    c.on('ping', () => { pings[k - 1]++ })
    c.send(JSON.stringify(helloOf(k)))
  }
  await until('every link welcomed', () => hub.connectedCount() === LINKS)
  // Ten intervals. Timed tick after tick, each 400 ms late, an interval would stretch to 7.2 s and
  // a link be pinged about five times; on schedule, about nine (none in its first interval).
  for (let k = 0; k < 10 * 8; k++) { clock.advance(TICK_MS); await new Promise((r) => setTimeout(r, 10)) }
  await until('the pongs are in', () => Math.min(...pings) >= 8)
  assert.ok(Math.max(...pings) <= 10, `no link pinged more than once per interval: ${pings}`)
})
