// Issue 22, medium: what a node reports on the link is checked as strictly as an operator's input.
// A 1 MB address, 5,000 labels, a 100 KB region, 10^15 cores were all stored; now each is refused
// with a close reason naming the field, an Event on the Node, and nothing written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { HelloMessage } from '../../src/api/link.js'
import { helloOf, hubFixture } from './hub-fixture.js'

type Case = [string, (k: number) => unknown, RegExp]
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))
const bad: Case[] = [
  ['1 MB address', (k) => helloOf(k, { address: 'a'.repeat(1 << 20) }), /address/],
  ['5,000 labels', (k) => helloOf(k, { labels: many(5000) }), /labels/],
  ['a label value of 100 characters', (k) => helloOf(k, { labels: { a: 'v'.repeat(100) } }), /labels/],
  ['a label key with a space', (k) => helloOf(k, { labels: { 'a b': 'v' } }), /labels/],
  ['a reserved label', (k) => helloOf(k, { labels: { 'edgeplane.io/site': 'other' } }), /edgeplane\.io\/ prefix/],
  ['100 KB region', (k) => helloOf(k, { site: { ...helloOf(k).site, region: 'r'.repeat(100_000) } } as Partial<HelloMessage>), /site\.region/],
  ['10^15 cores', (k) => helloOf(k, { capacity: { cpu: 1e18, memory: 1 } }), /capacity\.cpu/],
  ['negative memory', (k) => helloOf(k, { capacity: { cpu: 1, memory: -1 } }), /capacity\.memory/],
  ['an agent version of 10 KB', (k) => helloOf(k, { agent: { version: 'v'.repeat(10_000), pid: 1 } }), /agent\.version/],
  ['a node name that is no name', (k) => ({ ...helloOf(k), node: 'N_' + k }), /node/],
  ['a gateway address with a path', (k) => helloOf(k, { gateway: { address: 'x/../y', healthy: true } }), /gateway\.address/],
]

test('a hello outside the limits closes the link with the field named, records an Event, stores nothing', async (t) => {
  const events: { name: string; reason: string; message: string }[] = []
  const { hub, dial } = await hubFixture(t, { events: { record: (obj, _ty, reason, message) => events.push({ name: obj.metadata.name, reason, message }) } })
  let k = 0
  for (const [what, make, field] of bad) {
    k++
    const c = await dial()
    c.send(JSON.stringify(make(k)))
    const [code, reason] = (await once(c, 'close')) as [number, Buffer]
    assert.equal(code, 4400, what)
    assert.match(reason.toString(), field, `${what}: ${reason}`)
    assert.ok(Buffer.byteLength(reason.toString()) <= 123)
    assert.equal(hub.stats.get(`n${k}`)?.connected, false, what)
    const ev = events.find((e) => e.name === `n${k}`)
    assert.equal(ev?.reason, 'LinkMessageRefused', what)
    assert.match(ev!.message, field)
  }
})

test('status and traffic reports outside the limits are refused too; a good hello still works', async (t) => {
  const { hub, dial } = await hubFixture(t)
  const reports: [string, unknown, RegExp][] = [
    ['usage of 10^30 bytes', { t: 'status', instances: [], usage: { cpu: 1, memory: 1e30 } }, /usage\.memory/],
    ['an instance uid of 1 KB', { t: 'status', instances: [{ uid: 'u'.repeat(1024), phase: 'Running', ready: true, restarts: 0, endpoints: {} }] }, /uid/],
    ['200 endpoints', { t: 'status', instances: [{ uid: 'u', phase: 'Running', ready: true, restarts: 0, endpoints: many(200) }] }, /endpoints/],
    ['a traffic report with 5,000 prefixes', { t: 'traffic', intervalSeconds: 5, reports: [{ host: 'a.test', requests: 1, errors: 0, overflowed: 0, rejected: 0, latencyMs: { p50: 1, p99: 1 }, inflight: 0, byPrefix: many(5000), saturated: false }] }, /byPrefix/],
    ['a request count of 10^20', { t: 'traffic', intervalSeconds: 5, reports: [{ host: 'a.test', requests: 1e20, errors: 0, overflowed: 0, rejected: 0, latencyMs: { p50: 1, p99: 1 }, inflight: 0, byPrefix: {}, saturated: false }] }, /requests/],
  ]
  let k = 0
  for (const [what, msg, field] of reports) {
    k++
    const c = await dial()
    c.send(JSON.stringify(helloOf(k)))
    await once(c, 'message')
    assert.equal(hub.stats.get(`n${k}`)?.connected, true)
    c.send(JSON.stringify(msg))
    const [code, reason] = (await once(c, 'close')) as [number, Buffer]
    assert.equal(code, 4400, what)
    assert.match(reason.toString(), field, `${what}: ${reason}`)
  }
})
