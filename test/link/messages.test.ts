// Link frame decoding: every bad frame is refused with a message that names the problem (the
// field and what is wrong), never an exception; every valid message comes back as parsed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeAgentMessage, decodeServerMessage, type AgentMessage } from '../../src/api/link.js'
import { template } from '../controllers/helpers.js'

const HELLO = {
  t: 'hello', node: 'n1', address: '127.0.0.5', capacity: { cpu: 2000, memory: 1024 },
  site: { name: 'edge-1', region: 'eu', provider: 'own', tier: 'edge', geo: { lat: 1, lon: 2 }, labels: { a: 'b' } },
  labels: { disk: 'ssd' }, desiredVersion: 12, agent: { version: '0.1.0', pid: 42, os: 'linux' },
}
const REPORT = { uid: 'u1', phase: 'Running', ready: true, restarts: 0, endpoints: { http: '127.0.0.5:8080' } }

function refused(frame: unknown, pattern: RegExp): void {
  const data = typeof frame === 'string' ? frame : JSON.stringify(frame)
  const got = decodeAgentMessage(data)
  assert.equal(typeof got, 'string', `accepted: ${data.slice(0, 100)}`)
  assert.match(got as string, pattern)
}

test('link decode: valid agent messages come back as parsed', () => {
  const valid: AgentMessage[] = [
    HELLO as AgentMessage,
    { t: 'hello', node: 'n1', address: 'a', capacity: { cpu: 0, memory: 0 }, site: { name: 's', region: 'r', provider: 'p', tier: 'central' }, desiredVersion: 0, agent: { version: 'v', pid: 1 } },
    { t: 'ack', version: 0 },
    { t: 'ack', version: 123 },
    { t: 'status', instances: [] },
    { t: 'status', instances: [REPORT as never, { ...REPORT, uid: 'u2', phase: 'Failed', ready: false, exitCode: null, pid: 7, startedAt: 'x', message: 'm'.repeat(4096), reason: 'r'.repeat(256) } as never], usage: { cpu: 10, memory: 20 }, dropped: 3 },
    { t: 'log-data', req: 1, data: 'line\n' },
    { t: 'log-data', req: 2, end: true },
    { t: 'log-data', req: 3, error: 'no such instance' },
    { t: 'resync', version: 7 },
  ]
  for (const m of valid) assert.deepEqual(decodeAgentMessage(JSON.stringify(m)), m)
})

test('link decode: not JSON, not an object, no type, unknown type', () => {
  refused('nope', /not JSON/)
  refused('{"t":"ack",', /not JSON/)
  refused('', /not JSON/)
  for (const f of ['null', '[]', '5', '"hello"']) refused(f, /JSON object/)
  refused({}, /"t"/)
  refused({ t: 5 }, /"t"/)
  refused({ t: 'nope' }, /unknown message type "nope".*hello, ack, status, log-data, resync/)
  refused({ t: 'desired', version: 1, full: true, upsert: [], remove: [] }, /unknown message type "desired"/)
})

test('link decode: missing fields are named', () => {
  refused({ t: 'ack' }, /^invalid "ack" message: version: required/)
  refused({ t: 'resync' }, /^invalid "resync" message: version: required/)
  refused({ t: 'log-data' }, /^invalid "log-data" message: req: required/)
  refused({ ...HELLO, site: undefined }, /^invalid "hello" message: site: required/)
  const { name: _n, ...siteNoName } = HELLO.site
  refused({ ...HELLO, site: siteNoName }, /^invalid "hello" message: site\.name: required/)
  refused({ t: 'status' }, /^invalid "status" message: instances: required/)
  const { ready: _r, ...noReady } = REPORT
  refused({ t: 'status', instances: [noReady] }, /instances\[0\]\.ready: required/)
})

test('link decode: wrong types and values are named', () => {
  refused({ t: 'ack', version: 'x' }, /^invalid "ack" message: version: .*integer/)
  refused({ t: 'ack', version: 1.5 }, /version: .*integer/)
  refused({ t: 'ack', version: -1 }, /version: must be >= 0/)
  refused({ ...HELLO, desiredVersion: -3 }, /desiredVersion: must be >= 0/)
  refused({ ...HELLO, node: '' }, /node: .*1 character/)
  refused({ ...HELLO, capacity: { cpu: 'lots', memory: 1 } }, /capacity\.cpu: .*number/)
  refused({ ...HELLO, site: { ...HELLO.site, tier: 'orbit' } }, /site\.tier: must be one of "edge", "central"/)
  refused({ t: 'status', instances: [{ ...REPORT, phase: 'Bogus' }] }, /instances\[0\]\.phase: must be one of "Pending"/)
  refused({ t: 'status', instances: [{ ...REPORT, uid: '' }] }, /instances\[0\]\.uid/)
  refused({ t: 'status', instances: [{ ...REPORT, restarts: -1 }] }, /instances\[0\]\.restarts: must be >= 0/)
  refused({ t: 'status', instances: [{ ...REPORT, endpoints: { http: 8080 } }] }, /instances\[0\]\.endpoints\.http: .*string/)
  refused({ t: 'status', instances: {} }, /instances: .*array/)
  refused({ t: 'log-data', req: '1' }, /req: .*integer/)
})

test('link decode: unknown fields are refused by name', () => {
  refused({ t: 'ack', version: 1, extra: true }, /^invalid "ack" message: extra: unknown field/)
  refused({ ...HELLO, agent: { ...HELLO.agent, secret: 'x' } }, /agent\.secret: unknown field/)
  refused({ t: 'status', instances: [{ ...REPORT, cpu: 1 }] }, /instances\[0\]\.cpu: unknown field/)
})

test('link decode: strings over their limit are refused', () => {
  refused({ t: 'status', instances: [{ ...REPORT, reason: 'r'.repeat(257) }] }, /instances\[0\]\.reason: must not have more than 256 characters/)
  refused({ t: 'status', instances: [{ ...REPORT, message: 'm'.repeat(4097) }] }, /instances\[0\]\.message: must not have more than 4096 characters/)
  const many = Array.from({ length: 10_001 }, (_, i) => ({ ...REPORT, uid: `u${i}` }))
  refused({ t: 'status', instances: many }, /instances: must not have more than 10000 items/)
})

test('link decode: server messages are checked the same way', () => {
  const desired = { t: 'desired', version: 5, full: false, base: 3, upsert: [{ uid: 'u', namespace: 'default', name: 'web-1', app: 'web', revision: 'r', template: template() }], remove: ['x'] }
  assert.deepEqual(decodeServerMessage(JSON.stringify(desired)), desired)
  const welcome = { t: 'welcome', serverTime: '2026-01-01T00:00:00Z', heartbeatSeconds: 5 }
  assert.deepEqual(decodeServerMessage(JSON.stringify(welcome)), welcome)
  assert.deepEqual(decodeServerMessage('{"t":"log-open","req":1,"uid":"u","follow":true,"tailLines":10}'), { t: 'log-open', req: 1, uid: 'u', follow: true, tailLines: 10 })
  assert.deepEqual(decodeServerMessage('{"t":"log-close","req":1}'), { t: 'log-close', req: 1 })
  assert.match(decodeServerMessage('{"t":"desired","version":5,"full":true,"upsert":[]}') as string, /^invalid "desired" message: remove: required/)
  assert.match(decodeServerMessage(JSON.stringify({ ...desired, upsert: [{ ...desired.upsert[0], template: { command: '' } }] })) as string, /upsert\[0\]\.template/)
  assert.match(decodeServerMessage('{"t":"hello"}') as string, /unknown message type "hello".*welcome, desired, log-open, log-close/)
  assert.match(decodeServerMessage('{') as string, /not JSON/)
})
