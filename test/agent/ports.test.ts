import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { PortAllocator } from '../../src/agent/runtime/ports.js'

const HOST = '127.0.0.1'

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ host: HOST, port }, () => resolve(s))
  })
}

function portOf(s: Server): number {
  return (s.address() as { port: number }).port
}

async function freePort(): Promise<number> {
  const s = await listen()
  const port = portOf(s)
  await new Promise((r) => s.close(r))
  return port
}

test('hands out distinct free ports within the default range, bindable by the instance', async () => {
  const alloc = new PortAllocator({ host: HOST })
  const ports = await Promise.all([alloc.allocate(), alloc.allocate(), alloc.allocate()])
  assert.equal(new Set(ports).size, 3)
  for (const p of ports) {
    assert.ok(p >= 30000 && p <= 32767)
    assert.ok(alloc.isHeld(p))
    const s = await listen(p) // really free
    await new Promise((r) => s.close(r))
  }
})

test('skips a port that something else holds', async (t) => {
  const busy = await listen()
  t.after(() => busy.close())
  const p = portOf(busy)
  const alloc = new PortAllocator({ host: HOST, min: p, max: p })
  await assert.rejects(alloc.allocate(), new RegExp(`no free TCP port on ${HOST} in ${p}-${p}`))
  await new Promise((r) => busy.close(r))
  assert.equal(await alloc.allocate(), p)
})

test('never hands out a held port twice; release and reserve', async () => {
  const p = await freePort()
  const alloc = new PortAllocator({ host: HOST, min: p, max: p })
  assert.equal(await alloc.allocate(), p)
  await assert.rejects(alloc.allocate(), /no free TCP port/)
  alloc.release(p)
  assert.equal(alloc.isHeld(p), false)
  alloc.reserve(p) // a re-adopted instance holds it
  await assert.rejects(alloc.allocate(), /no free TCP port/)
  alloc.release(p)
  assert.equal(await alloc.allocate(), p)
})

test('rejects an invalid range', () => {
  assert.throws(() => new PortAllocator({ host: HOST, min: 5000, max: 4000 }), /invalid port range 5000-4000/)
  assert.throws(() => new PortAllocator({ host: HOST, min: 0, max: 10 }), /invalid port range/)
})
