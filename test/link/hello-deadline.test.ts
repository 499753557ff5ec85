// The hub's hello deadline: a link that says nothing is closed with the reason once helloTimeoutMs
// has passed on the hub's clock, and not before; a link that said hello in time is left open.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { hubFixture } from './hub-fixture.js'

const TIMEOUT = 10_000

const setup = (t: TestContext) => hubFixture(t, { helloTimeoutMs: TIMEOUT })

/** Lets the hub's deferred verdict (a setImmediate after the timer) and the close frame through. */
const turns = async (n = 5) => { for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 5)) }

test('link hello deadline: a silent link is closed with the reason after helloTimeoutMs, not before', async (t) => {
  const s = await setup(t)
  const c = await s.dial()
  let closed: { code: number; reason: string } | undefined
  c.on('close', (code, reason) => { closed = { code, reason: reason.toString() } })
  s.clock.advance(TIMEOUT - 1)
  await turns()
  assert.equal(closed, undefined, 'still within the deadline')
  s.clock.advance(1)
  await turns()
  for (let i = 0; i < 100 && !closed; i++) await turns(1)
  assert.deepEqual(closed, { code: 4400, reason: 'no hello within the time allowed' })
})

test('link hello deadline: a hello received before the deadline is not failed by it', async (t) => {
  const s = await setup(t)
  const c = await s.dial()
  const reasons: string[] = []
  c.on('close', (_code, reason) => reasons.push(reason.toString()))
  // A hello for another node: the hub refuses it for that reason, not for a missing hello.
  c.send(JSON.stringify({ t: 'hello', node: 'n2', site: { name: 's1', region: 'r', provider: 'p', tier: 'edge' }, address: '127.0.0.1', desiredVersion: 0, capacity: { cpu: 1000, memory: 1024 }, agent: { version: '0.1.0', pid: 1 } }))
  for (let i = 0; i < 100 && !reasons.length; i++) await turns(1)
  s.clock.advance(TIMEOUT)
  await turns()
  assert.equal(reasons.length, 1)
  assert.match(reasons[0], /speaks for node "n1", not "n2"/)
})
