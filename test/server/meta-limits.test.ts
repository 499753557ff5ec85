// Issue 22, low: labels and annotations had no limit but the 1 MB body. Now Kubernetes' limits hold:
// label keys (prefix/name ≤ 63) and values (≤ 63, restricted characters), annotations ≤ 256 KiB.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, appManifest, assertStatus, startTestServer } from './helpers.js'

test('labels and annotations beyond Kubernetes\' limits → 422 naming the field; nothing stored', async (t) => {
  const ts = await startTestServer(t)
  const rev = await ts.srv.store.revision()
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ labels: { a: 'v'.repeat(64) } }, /metadata\.labels\.a/],
    [{ labels: { 'a b': 'v' } }, /metadata\.labels\.a b/],
    [{ labels: { ['k'.repeat(64)]: 'v' } }, /metadata\.labels/],
    [{ labels: { a: 'white space' } }, /metadata\.labels\.a/],
    [{ annotations: { big: 'x'.repeat(300 * 1024) } }, /metadata\.annotations/],
    [{ annotations: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'x'.repeat(60 * 1024)])) }, /metadata\.annotations/],
  ]
  for (const [meta, field] of cases) {
    const app = appManifest('web')
    Object.assign(app.metadata, meta)
    const body = assertStatus(await ts.req({ method: 'POST', url: APPS, payload: app }), 422, 'Invalid')
    assert.match(body.details.causes.map((c: any) => c.field).join(' '), field, JSON.stringify(body.details.causes).slice(0, 300))
  }
  assert.equal(await ts.srv.store.revision(), rev)
  const ok = appManifest('web')
  ok.metadata.labels = { 'example.com/tier': 'front-end_1', empty: '' }
  ok.metadata.annotations = { 'example.com/note': 'any text, spaces and all' }
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: ok })).statusCode, 201)
})
