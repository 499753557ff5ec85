// The real kubectl: version, scale (the scale subresource), patch in its three types (strategic,
// the default; merge; json), and the field path of a bad scale.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, appManifest, assertStatus, json } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

test('kubectl version, scale and patch', { skip: kubectlSkip, timeout: 120_000 }, async (t) => {
  const k = await startKubectl(t)
  const { ts } = k
  assert.equal((await ts.req({ method: 'POST', url: APPS, payload: appManifest('hello', { replicas: 1 }) })).statusCode, 201)
  assert.match(await k.ok(['version']), /Server Version: v\d+\.\d+\.\d+/)

  assert.match(await k.ok(['scale', 'app/hello', '--replicas=3']), /app\.edgeplane\.io\/hello scaled/)
  let app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.equal(app.spec.replicas, 3)
  assert.equal(app.metadata.generation, 2)
  const stale = await k.run(['scale', 'app/hello', '--current-replicas=7', '--replicas=4'])
  assert.notEqual(stale.code, 0, 'a precondition on the current replicas is honoured')
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/hello` })).spec.replicas, 3)

  await k.ok(['patch', 'app/hello', '-p', '{"spec":{"template":{"ports":[{"name":"admin","protocol":"udp"}]}}}'])
  await k.ok(['patch', 'app/hello', '--type', 'merge', '-p', '{"metadata":{"labels":{"tier":"web"}}}'])
  await k.ok(['patch', 'app/hello', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]'])
  app = json(await ts.req({ method: 'GET', url: `${APPS}/hello` }))
  assert.deepEqual(app.spec.template.ports, [{ name: 'http', protocol: 'tcp' }, { name: 'admin', protocol: 'udp' }], 'the strategic patch merged the ports by name (a merge patch would have replaced the list)')
  assert.equal(app.metadata.labels.tier, 'web')
  assert.equal(app.spec.replicas, 2)
  const bad = await k.run(['patch', 'app/hello', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/nothing/here","value":2}]'])
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /does not exist/)

  const s = assertStatus(await ts.req({ method: 'PUT', url: `${APPS}/hello/scale`, payload: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'hello' }, spec: { replicas: -1 } } }), 422, 'Invalid')
  assert.equal(s.details.causes[0].field, 'spec.replicas')
  const dry = json(await ts.req({ method: 'PATCH', url: `${APPS}/hello/scale?dryRun=All`, headers: { 'content-type': 'application/merge-patch+json' }, payload: { spec: { replicas: 9 } } }))
  assert.equal(dry.spec.replicas, 9)
  assert.equal(json(await ts.req({ method: 'GET', url: `${APPS}/hello/scale` })).spec.replicas, 2, 'a dry-run scale wrote nothing')
})
