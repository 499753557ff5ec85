// kubectl describe finds an App's events (served as core v1 Events where kubectl looks).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, V1, appManifest, json } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

test('kubectl describe app shows its events', { skip: kubectlSkip, timeout: 120_000 }, async (t) => {
  const k = await startKubectl(t)
  const { ts } = k
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('hello') })
  await ts.req({ method: 'POST', url: APPS, payload: appManifest('other') })
  const ev = (name: string, reason: string) => ({
    apiVersion: 'edgeplane.io/v1', kind: 'Event', metadata: { name: `${name}.${reason.toLowerCase()}` },
    involvedObject: { kind: 'App', namespace: 'default', name }, type: 'Warning', reason, message: `${reason} for ${name}`,
    count: 2, firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), source: { component: 'app-controller' },
  })
  for (const [n, r] of [['hello', 'NoCapacity'], ['other', 'SomethingElse']]) {
    const res = await ts.req({ method: 'POST', url: `${V1}/namespaces/default/events`, payload: ev(n, r) })
    assert.equal(res.statusCode, 201, res.body)
  }
  const out = await k.ok(['describe', 'app/hello'])
  assert.match(out, /Events:[\s\S]*Warning\s+NoCapacity\s+.*app-controller\s+NoCapacity for hello/)
  assert.doesNotMatch(out, /SomethingElse/)
  const list = json(await ts.req({ method: 'GET', url: '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dhello,involvedObject.kind%3DApp,involvedObject.uid%3Dabc' }))
  assert.equal(list.kind, 'EventList')
  assert.deepEqual(list.items.map((e: any) => [e.apiVersion, e.reason]), [['v1', 'NoCapacity']])
})
