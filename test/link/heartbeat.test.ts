// The hub's heartbeat: an interval runs as ticks, each pinging its share of the links, every link
// once per interval; a link silent for two intervals is cut as HeartbeatMissed while the others
// stay, also when every timer fires late.
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

  const interval = async () => { for (let k = 0; k < 8; k++) { clock.advance(TICK_MS); await settle() } }
  clock.advance(TICK_MS - 1)
  await settle()
  assert.equal(total(), 0, 'no ping before the first tick')
  clock.advance(1)
  await until('the first tick pinged some links', () => total() > 0)
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
  // a link be pinged about six times; on schedule, ten.
  for (let k = 0; k < 10 * 8; k++) { clock.advance(TICK_MS); await new Promise((r) => setTimeout(r, 10)) }
  await until('the pongs are in', () => Math.min(...pings) >= 8)
  assert.ok(Math.max(...pings) <= 10, `no link pinged more than once per interval: ${pings}`)
})

test('heartbeat: on a loop that runs every timer late, a silent link is still cut in time', async (t) => {
  // Every timer fires 600 ms after it was due: more than a tick (500 ms), less than a verdict's
  // patience (2 s). Each tick is behind the schedule, but none is late by itself.
  class SlowClock extends ManualClock {
    override setTimeout(fn: () => void, ms: number) { return super.setTimeout(fn, ms + 600) }
  }
  const clock = new SlowClock()
  const { hub, dial } = await hubFixture(t, { heartbeatSeconds: INTERVAL_MS / 1000, clock })
  const clients = []
  for (let k = 1; k <= 4; k++) {
    const c = await dial()
    clients.push(c)
    c.send(JSON.stringify(helloOf(k)))
  }
  await until('every link welcomed', () => hub.connectedCount() === 4)
  clients[0].pause()
  // Silent from 0 s: over 8 s without a word at its tick after that, i.e. by ~13 s.
  for (let k = 0; k < 160; k++) { clock.advance(100); await new Promise((r) => setTimeout(r, 5)) }
  await until('the silent link is cut', () => hub.connectedCount() <= 3, 2000)
  assert.equal(hub['stats'].get('n1')?.reason, 'HeartbeatMissed')
  assert.equal(hub.connectedCount(), 3, 'the links that answer stay')
})

test('heartbeat: a link that talked both ways within a quarter interval is not pinged; one that only talks is; silence after talk is cut once pinged', async (t) => {
  const { hub, clock, dial } = await hubFixture(t, { heartbeatSeconds: INTERVAL_MS / 1000, graceMs: 2 * INTERVAL_MS })
  const pings = [0, 0, 0]
  const clients: Awaited<ReturnType<typeof dial>>[] = []
  for (let k = 1; k <= 3; k++) {
    const c = await dial()
    clients.push(c)
    c.on('ping', () => { pings[k - 1]++ })
    c.send(JSON.stringify(helloOf(k)))
  }
  await until('every link welcomed', () => hub.connectedCount() === 3)
  const settle = () => new Promise((r) => setTimeout(r, 10))
  const status = JSON.stringify({ t: 'status', instances: [] })
  // n1 talks both ways every 250 ms (a status up, a welcome down); n2 only talks up (the agent's
  // watchdog needs to hear the server: it must still be pinged); n3 is quiet.
  let talking = true
  const step = async () => {
    if (talking) { clients[0].send(status); hub.requestStatus('n1') }
    clients[1].send(status)
    await settle()
    clock.advance(250)
    await settle()
  }
  for (let k = 0; k < 2 * 16; k++) await step() // two intervals
  await until('the quiet link pinged each interval', () => pings[2] >= 2)
  assert.equal(pings[0], 0, 'the link that talked both ways was not pinged')
  assert.ok(pings[1] >= 2, `the link that only talked up was pinged each interval: ${pings[1]}`)

  // n1 falls silent (its socket paused: no pong either). Cut only after a ping it did not answer:
  // not before two intervals after its last word, and within three and a tick.
  talking = false
  clients[0].pause()
  const lastWord = clock.now()
  let cutAt = -1
  for (let k = 0; k < 4 * 16 && cutAt < 0; k++) {
    await step()
    if (hub.connectedCount() === 2) cutAt = clock.now()
  }
  assert.ok(cutAt > 0, 'the silent link was cut')
  assert.equal(hub['stats'].get('n1')?.reason, 'HeartbeatMissed')
  const after = cutAt - lastWord
  assert.ok(after > 2 * INTERVAL_MS && after <= 3 * INTERVAL_MS + TICK_MS, `cut ${after} ms after its last word`)
  assert.equal(hub.connectedCount(), 2, 'the others stay')
})
