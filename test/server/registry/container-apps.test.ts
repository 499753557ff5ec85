// Container apps through the API: clear 422s for runtime-specific fields, the registry allow-list,
// and digest pinning against a real docker-registry (a tag resolved once, when the Revision is made;
// `rollout undo` returns to the same bytes; unknown image and registry down are an App condition
// and a Warning event, never a crash).
import { test } from 'node:test'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import assert from 'node:assert/strict'
import { API_VERSION } from '../../../src/api/meta.js'
import { requestedTemplate } from '../../../src/cli/commands/rollout.js'
import { APPS, V1, assertStatus, json, settle, startTestServer } from '../helpers.js'
import { imageFixture, mustRun, skip } from '../../agent/runtime/container/fixture.js'

const REVISIONS = `${V1}/namespaces/default/revisions`
const EVENTS = `${V1}/namespaces/default/events`
const app = (name: string, template: Record<string, unknown>) => ({ apiVersion: API_VERSION, kind: 'App', metadata: { name }, spec: { replicas: 0, template } })

test('runtime-specific template fields are refused with a 422 naming the field', async (t) => {
  const s = await startTestServer(t)
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['process with containerPort', { command: 'node', ports: [{ name: 'http', containerPort: 8080 }] }, 'spec.template.ports[0].containerPort', /container only/],
    ['process with volumes', { command: 'node', volumes: [{ name: 'tmp', mountPath: '/tmp' }] }, 'spec.template.volumes', /container only/],
    ['process with readOnlyRootFilesystem', { command: 'node', readOnlyRootFilesystem: true }, 'spec.template.readOnlyRootFilesystem', /container only/],
    ['process with an image', { command: 'node', image: 'r.io/a:1' }, 'spec.template.image', /container only/],
    ['process without command', {}, 'spec.template.command', /needs a command/],
    ['container without image', { runtime: 'container' }, 'spec.template.image', /needs an image/],
    ['container with a bad image reference', { runtime: 'container', image: 'Bad/Name' }, 'spec.template.image', /repository/],
    ['container with a memory limit too small to start', { runtime: 'container', image: 'r.io/a:1', resources: { memory: '1Mi' } }, 'spec.template.resources.memory', /at least 6Mi/],
    ['container with a relative workingDir', { runtime: 'container', image: 'r.io/a:1', workingDir: 'srv' }, 'spec.template.workingDir', /absolute/],
    ['two volumes on one path', { runtime: 'container', image: 'r.io/a:1', volumes: [{ name: 'a', mountPath: '/x' }, { name: 'b', mountPath: '/x' }] }, 'spec.template.volumes[1].mountPath', /twice/],
  ]
  for (const [name, template, field, message] of cases) {
    const res = await s.req({ method: 'POST', url: APPS, payload: app('web', template) })
    const body = assertStatus(res, 422, 'Invalid')
    const cause = body.details.causes.find((c: { field: string }) => c.field === field)
    assert.ok(cause, `${name}: a cause for ${field} in ${JSON.stringify(body.details.causes)}`)
    assert.match(cause.message, message, name)
  }
  assert.equal(json(await s.req({ method: 'GET', url: APPS })).items.length, 0, 'nothing written')
  const ok = await s.req({ method: 'POST', url: APPS, payload: app('web', { runtime: 'container', image: 'r.io/a:1', ports: [{ name: 'http', containerPort: 8080 }], resources: { memory: '64Mi', cpu: '250m', pids: 128 }, readOnlyRootFilesystem: true, volumes: [{ name: 'tmp', mountPath: '/tmp', sizeLimit: '16Mi' }] }) })
  assert.equal(ok.statusCode, 201, ok.body)
})

test('registry allow-list: an image from another registry is a 422; an allowed one is accepted', async (t) => {
  const s = await startTestServer(t, { server: { allowedRegistries: ['registry.example.com', '127.0.0.1:5000'], resolveDigest: async () => `sha256:${'a'.repeat(64)}` } })
  const bad = await s.req({ method: 'POST', url: APPS, payload: app('web', { runtime: 'container', image: 'evil.example.net/x/y:1' }) })
  const body = assertStatus(bad, 422, 'Invalid')
  assert.match(body.message, /registry "evil\.example\.net" is not allowed/)
  assert.match(body.message, /registry\.example\.com, 127\.0\.0\.1:5000/)
  assert.equal(body.details.causes[0].field, 'spec.template.image')
  // docker.io is a registry like any other.
  assertStatus(await s.req({ method: 'PATCH', url: `${APPS}/web`, headers: { 'content-type': 'application/apply-patch+yaml' }, payload: JSON.stringify(app('web', { runtime: 'container', image: 'busybox' })) }), 422, 'Invalid')
  const ok = await s.req({ method: 'POST', url: APPS, payload: app('web', { runtime: 'container', image: '127.0.0.1:5000/demo/hello:1.0' }) })
  assert.equal(ok.statusCode, 201, ok.body)
  // Moving an accepted app to a refused registry is refused too, and changes nothing.
  const cur = json(ok)
  const moved = await s.req({ method: 'PUT', url: `${APPS}/web`, payload: { ...cur, spec: { ...cur.spec, template: { ...cur.spec.template, image: 'evil.example.net/x/y:1' } } } })
  assertStatus(moved, 422, 'Invalid')
  assert.equal(json(await s.req({ method: 'GET', url: `${APPS}/web` })).spec.template.image, '127.0.0.1:5000/demo/hello:1.0')
})

test('digest pinning with a real registry', { skip, timeout: 180_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  t.after(() => fx.close())
  const s = await startTestServer(t, { server: { allowedRegistries: [fx.registry.host, '127.0.0.1:1'] } })
  const revisions = async () => json(await s.req({ method: 'GET', url: REVISIONS })).items.sort((a: any, b: any) => a.spec.number - b.spec.number)

  await t.test('a tag is pinned to its digest in the Revision', async () => {
    const res = await s.req({ method: 'POST', url: APPS, payload: app('hello', { runtime: 'container', image: fx.image }) })
    assert.equal(res.statusCode, 201, res.body)
    await settle(s.srv)
    const [r1] = await revisions()
    assert.equal(r1.spec.image.requested, fx.image)
    assert.equal(r1.spec.image.digest, fx.digest)
    assert.equal(r1.spec.template.image, `${fx.image.replace(/:1\.0$/, '')}@${fx.digest}`)
    assert.equal(json(await s.req({ method: 'GET', url: `${APPS}/hello` })).spec.template.image, fx.image, 'the App keeps what the user wrote')
  })

  await t.test('the tag moves; a new template pins the new bytes; undo returns to the old ones', async () => {
    // Other bytes under the same tag: the same image pushed as a Docker v2s2 manifest.
    await new Promise<void>((resolve, reject) => execFile('podman', ['push', '--quiet', '--tls-verify=false', '--format', 'v2s2', '--digestfile', `${fx.dir}/d2`, 'localhost/edgeplane-test/hello:1.0', fx.image], (e) => (e ? reject(e) : resolve())))
    const moved = readFileSync(`${fx.dir}/d2`, 'utf8').trim()
    assert.notEqual(moved, fx.digest)
    const cur = json(await s.req({ method: 'GET', url: `${APPS}/hello` }))
    const res = await s.req({ method: 'PUT', url: `${APPS}/hello`, payload: { ...cur, spec: { ...cur.spec, template: { ...cur.spec.template, env: { V: '2' } } } } })
    assert.equal(res.statusCode, 200, res.body)
    await settle(s.srv)
    const [r1, r2] = await revisions()
    assert.equal(r2.spec.image.digest, moved)
    assert.equal(r1.spec.image.digest, fx.digest, 'revision 1 still names the old bytes')
    // What `edgeplane rollout undo` writes: revision 1's template as the App wrote it.
    const now = json(await s.req({ method: 'GET', url: `${APPS}/hello` }))
    const undo = await s.req({ method: 'PUT', url: `${APPS}/hello`, payload: { ...now, spec: { ...now.spec, template: requestedTemplate(r1) } } })
    assert.equal(undo.statusCode, 200, undo.body)
    await settle(s.srv)
    const after = json(await s.req({ method: 'GET', url: `${APPS}/hello` }))
    assert.equal(after.status.revision, r1.spec.revision, 'back on revision 1 itself')
    assert.equal((await revisions()).length, 2, 'no new revision')
  })

  await t.test('unknown image and registry down: an App condition and a Warning event, the server keeps serving', async () => {
    const missing = `${fx.registry.host}/edgeplane-test/missing:9`
    assert.equal((await s.req({ method: 'POST', url: APPS, payload: app('ghost', { runtime: 'container', image: missing }) })).statusCode, 201)
    const down = `127.0.0.1:1/edgeplane-test/hello:1.0`
    assert.equal((await s.req({ method: 'POST', url: APPS, payload: app('down', { runtime: 'container', image: down }) })).statusCode, 201)
    const cond = async (name: string) => {
      for (let i = 0; i < 200; i++) {
        const c = json(await s.req({ method: 'GET', url: `${APPS}/${name}` })).status?.conditions?.find((x: any) => x.type === 'ImageResolved')
        if (c) return c
        await new Promise((r) => setTimeout(r, 50))
      }
      assert.fail(`no ImageResolved condition on ${name}`)
    }
    const ghost = await cond('ghost')
    assert.equal(ghost.status, 'False')
    assert.equal(ghost.reason, 'ImageNotFound')
    assert.match(ghost.message, /missing:9 not found/)
    const d = await cond('down')
    assert.equal(d.reason, 'RegistryUnavailable')
    assert.match(d.message, /127\.0\.0\.1:1 is unreachable/)
    const events = json(await s.req({ method: 'GET', url: EVENTS })).items
    assert.ok(events.some((e: any) => e.reason === 'ImageNotFound' && e.type === 'Warning' && /missing:9/.test(e.message)), JSON.stringify(events.map((e: any) => e.reason)))
    assert.ok(events.some((e: any) => e.reason === 'ImageResolveFailed' && /unreachable/.test(e.message)))
    assert.equal(json(await s.req({ method: 'GET', url: REVISIONS })).items.filter((r: any) => r.spec.app !== 'hello').length, 0, 'no revision without a digest')
    assert.equal((await s.req({ method: 'GET', url: '/healthz' })).statusCode, 200)
  })
})
