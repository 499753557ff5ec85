// The node's image store against a real registry: pull by tag and by digest, presence by digest,
// from a mirror, and the failures a site must report clearly (unknown image, registry down).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ImageStore } from '../../../../src/agent/runtime/container/images.js'
import { Podman } from '../../../../src/agent/runtime/container/podman.js'
import { freePort } from '../../../../src/demo/registry.js'
import { imageFixture, mustRun, skip } from './fixture.js'

test('image store with a real registry', { skip, timeout: 180_000 }, async (t) => {
  mustRun()
  const fx = await imageFixture()
  t.after(() => fx.close())
  const podman = new Podman()
  const store = new ImageStore(podman)
  const repo = fx.image.replace(/:1\.0$/, '')
  const byDigest = `${repo}@${fx.digest}`
  // Start from a store without the pushed name (the local build is named localhost/...).
  await podman.run(['rmi', '--force', fx.image, byDigest])

  await t.test('pull by digest, then present by digest and by ref', async () => {
    const r = await store.pull(byDigest)
    assert.equal(r.ok, true, JSON.stringify(r))
    assert.ok(r.ok && r.digests.includes(fx.digest))
    const p = await store.present(fx.digest)
    assert.ok(p, 'present by bare digest')
    assert.ok(await store.present(byDigest), 'present by digest ref')
  })

  await t.test('pull through a mirror host (same registry under another name)', async () => {
    const mirror = fx.registry.host.replace('127.0.0.1', 'localhost')
    const r = await store.pull(`example.invalid/edgeplane-test/hello@${fx.digest}`, { registryMirror: mirror })
    assert.equal(r.ok, true, JSON.stringify(r))
  })

  await t.test('unknown image: ImageNotFound', async () => {
    const r = await store.pull(`${fx.registry.host}/edgeplane-test/nope:1.0`)
    assert.equal(r.ok, false)
    assert.equal(!r.ok && r.reason, 'ImageNotFound', JSON.stringify(r))
  })

  await t.test('unknown digest: ImageNotFound', async () => {
    const r = await store.pull(`${repo}@sha256:${'0'.repeat(64)}`)
    assert.equal(!r.ok && r.reason, 'ImageNotFound', JSON.stringify(r))
    assert.equal(await store.present(`sha256:${'0'.repeat(64)}`), undefined)
  })

  await t.test('registry down: RegistryUnavailable', async () => {
    const port = await freePort()
    const r = await store.pull(`127.0.0.1:${port}/edgeplane-test/hello:1.0`)
    assert.equal(!r.ok && r.reason, 'RegistryUnavailable', JSON.stringify(r))
    assert.match(!r.ok ? r.message : '', new RegExp(`127\\.0\\.0\\.1:${port}`))
  })

  await t.test('a bad reference: InvalidImageName', async () => {
    const r = await store.pull('UPPER/case:1')
    assert.equal(!r.ok && r.reason, 'InvalidImageName')
  })
})
