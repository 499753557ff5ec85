// Desired documents: a node's first change in a loop turn is sent at once (a change that reaches
// thousands of nodes streams out while the store is still handing it over), and its further changes
// in that turn follow in one message after it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DesiredMessage } from '../../src/api/link.js'
import type { Instance } from '../../src/api/kinds/index.js'
import { until } from '../lib/until.js'
import { instanceObj } from '../controllers/helpers.js'
import { helloOf, hubFixture } from './hub-fixture.js'

function added(name: string, node: string, revision: number): { type: 'ADDED'; object: Instance; revision: number } {
  const object = instanceObj(name, node, 's1')
  object.metadata = { ...object.metadata, uid: `uid-${name}`, generation: 1, resourceVersion: String(revision) }
  return { type: 'ADDED', object, revision }
}

test('desired push: the first change of a node in a turn goes out at once, the rest of the turn in one message after it', async (t) => {
  const { hub, index, dial } = await hubFixture(t)
  const received: DesiredMessage[][] = [[], []]
  for (const k of [1, 2]) {
    const c = await dial()
    let welcomed = false
    c.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { t: string }
      if (msg.t === 'welcome') welcomed = true
      if (msg.t === 'desired') received[k - 1].push(msg as DesiredMessage)
    })
    c.send(JSON.stringify(helloOf(k)))
    await until(`node n${k} welcomed`, () => welcomed)
  }
  const sent: string[] = []
  for (const node of ['n1', 'n2']) {
    const s = hub['sessions'].get(node)!
    const real = s.send.bind(s)
    s.send = (msg) => { sent.push(`${node}@${(msg as DesiredMessage).version}`); real(msg) }
  }

  // One turn: three instances for n1, one for n2, as a store commit hands them over.
  index.onInstanceEvent(added('a', 'n1', 10), undefined)
  assert.deepEqual(sent, ['n1@10'], 'the first change of n1 was sent within the call that made it')
  index.onInstanceEvent(added('b', 'n1', 11), undefined)
  index.onInstanceEvent(added('c', 'n2', 12), undefined)
  index.onInstanceEvent(added('d', 'n1', 13), undefined)
  assert.deepEqual(sent, ['n1@10', 'n2@12'], 'n2 at once too; n1\'s later changes wait for the end of the turn')

  await new Promise((r) => setImmediate(r))
  assert.deepEqual(sent, ['n1@10', 'n2@12', 'n1@13'], 'n1\'s two later changes in one message')
  await until('the agents received them', () => received[0].length === 2 && received[1].length === 1)
  assert.deepEqual(received[0].map((m) => m.upsert.map((u) => u.name)), [['a'], ['b', 'd']])

  // The next turn starts afresh: n1's next change goes out at once again.
  index.onInstanceEvent(added('e', 'n1', 14), undefined)
  assert.deepEqual(sent.slice(3), ['n1@14'])
})
