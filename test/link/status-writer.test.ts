// StatusWriter: agent reports into Instance status — only for the reporting node's own instances,
// skipping unchanged ones, coalescing bursts, dropping reports about deleted instances.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { Instance } from '../../src/api/kinds/index.js'
import type { InstanceReport } from '../../src/api/link.js'
import { StatusWriter } from '../../src/server/link/status-writer.js'
import { Cache } from '../../src/store/cache.js'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/types.js'
import { instanceObj, log } from '../controllers/helpers.js'

interface Setup {
  store: Store
  writer: StatusWriter
  writes: string[]
  get: (name: string) => Promise<Instance>
}

/** Instances named in `existing` are created before the writer, as after a server restart. */
async function setup(t: TestContext, existing: [name: string, node: string][] = []): Promise<Setup> {
  const store = openStore({ driver: 'memory' })
  for (const [name, node] of existing) await store.create(instanceObj(name, node, 's0'))
  const cache = new Cache<Instance>(store, 'Instance')
  await cache.start()
  const writes: string[] = []
  const counting = Object.create(store) as Store
  counting.update = (obj, opts) => { writes.push(obj.metadata.name); return store.update(obj, opts) }
  const writer = new StatusWriter(counting, cache, log)
  t.after(async () => { await writer.flushed(); cache.stop(); await store.close() })
  return { store, writer, writes, get: async (name) => (await store.get<Instance>('Instance', 'default', name))! }
}

function report(uid: string, over: Partial<InstanceReport> = {}): InstanceReport {
  return { uid, phase: 'Running', ready: true, restarts: 0, endpoints: { http: '127.0.0.1:8080' }, ...over }
}

test('status writer: a report becomes the instance status', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  s.writer.submit('n1', [report(i.metadata.uid!, { pid: 123, startedAt: '2026-01-01T00:00:00.000Z', exitCode: null })])
  await s.writer.flushed()
  const got = await s.get('web-1')
  assert.deepEqual(got.status, {
    phase: 'Running', ready: true, restarts: 0, node: 'n1', site: 's0', endpoints: { http: '127.0.0.1:8080' },
    pid: 123, startedAt: '2026-01-01T00:00:00.000Z', exitCode: null,
  })
  assert.equal(got.metadata.generation, 1, 'the spec is not touched')
  assert.equal(s.writer.instanceByUid(i.metadata.uid!)?.metadata.name, 'web-1')
})

test('status writer: instances that existed before the writer started are known too', async (t) => {
  const s = await setup(t, [['web-1', 'n1']])
  const i = await s.get('web-1')
  assert.equal(s.writer.instanceByUid(i.metadata.uid!)?.metadata.name, 'web-1')
  s.writer.submit('n1', [report(i.metadata.uid!)])
  await s.writer.flushed()
  assert.equal((await s.get('web-1')).status?.phase, 'Running')
})

test('status writer: a node cannot write the status of another node\'s instance', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  s.writer.submit('n2', [report(i.metadata.uid!)])
  await s.writer.flushed()
  assert.deepEqual(s.writes, [])
  assert.equal((await s.get('web-1')).status, undefined)
})

test('status writer: another node\'s report about the same uid does not displace the owner\'s', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  const j = await s.store.create(instanceObj('web-2', 'n1', 's0'))
  // web-2 first so that the owner's report about web-1 is still queued when the intruder's arrives.
  s.writer.submit('n1', [report(j.metadata.uid!), report(i.metadata.uid!, { restarts: 3 })])
  s.writer.submit('n2', [report(i.metadata.uid!, { phase: 'Failed', ready: false })])
  await s.writer.flushed()
  const got = await s.get('web-1')
  assert.equal(got.status?.phase, 'Running')
  assert.equal(got.status?.restarts, 3)
})

test('status writer: a report that changes nothing writes nothing', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  s.writer.submit('n1', [report(i.metadata.uid!)])
  await s.writer.flushed()
  const rev = await s.store.revision()
  s.writer.submit('n1', [report(i.metadata.uid!)])
  await s.writer.flushed()
  s.writer.submit('n1', [report(i.metadata.uid!), report(i.metadata.uid!)])
  await s.writer.flushed()
  assert.equal(await s.store.revision(), rev)
  assert.deepEqual(s.writes, ['web-1'])
  // A status that carried a message loses it when the next report has none.
  s.writer.submit('n1', [report(i.metadata.uid!, { message: 'probe failed' })])
  await s.writer.flushed()
  s.writer.submit('n1', [report(i.metadata.uid!)])
  await s.writer.flushed()
  assert.equal((await s.get('web-1')).status?.message, undefined)
  assert.equal(s.writes.length, 3)
})

test('status writer: a burst of reports for one instance coalesces into at most two writes', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  for (let n = 0; n < 20; n++) s.writer.submit('n1', [report(i.metadata.uid!, { restarts: n, ready: n % 2 === 0 })])
  s.writer.submit('n1', [report(i.metadata.uid!, { restarts: 20, phase: 'Failed', ready: false })])
  await s.writer.flushed()
  assert.ok(s.writes.length <= 2, `${s.writes.length} writes`)
  const st = (await s.get('web-1')).status
  assert.equal(st?.restarts, 20, 'the latest report wins')
  assert.equal(st?.phase, 'Failed')
})

test('status writer: reports for deleted or unknown instances are dropped without error', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  const j = await s.store.create(instanceObj('web-2', 'n1', 's0'))
  await s.store.delete('Instance', 'default', 'web-1')
  s.writer.submit('n1', [report(i.metadata.uid!), report('no-such-uid'), report(j.metadata.uid!)])
  await s.writer.flushed()
  assert.deepEqual(s.writes, ['web-2'])
  assert.equal(s.writer.instanceByUid(i.metadata.uid!), undefined)
})

test('status writer: an instance deleted while its report is being written is not an error', async (t) => {
  const s = await setup(t)
  const i = await s.store.create(instanceObj('web-1', 'n1', 's0'))
  const j = await s.store.create(instanceObj('web-2', 'n1', 's0'))
  s.writer.submit('n1', [report(i.metadata.uid!)])
  // web-2 is deleted after it was queued but before its turn comes.
  s.writer.submit('n1', [report(j.metadata.uid!)])
  await s.store.delete('Instance', 'default', 'web-2')
  await s.writer.flushed()
  assert.equal((await s.get('web-1')).status?.phase, 'Running')
  assert.equal(await s.store.get('Instance', 'default', 'web-2'), undefined)
})
