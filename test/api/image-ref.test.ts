import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatImageRef, isLoopbackRegistry, parseImageRef, pinnedRef } from '../../src/api/image-ref.js'

const D = `sha256:${'ab'.repeat(32)}`

test('image references parse like docker/distribution', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5000/demo/hello:1.0'), { registry: '127.0.0.1:5000', repository: 'demo/hello', tag: '1.0' })
  assert.deepEqual(parseImageRef('busybox'), { registry: 'docker.io', repository: 'library/busybox' })
  assert.deepEqual(parseImageRef('localhost/a/b'), { registry: 'localhost', repository: 'a/b' })
  assert.deepEqual(parseImageRef(`reg.example.com/x@${D}`), { registry: 'reg.example.com', repository: 'x', digest: D })
  assert.deepEqual(parseImageRef(`reg.example.com/x:v2@${D}`), { registry: 'reg.example.com', repository: 'x', tag: 'v2', digest: D })
  assert.equal(formatImageRef(parseImageRef('127.0.0.1:5000/demo/hello:1.0') as never), '127.0.0.1:5000/demo/hello:1.0')
  assert.equal(pinnedRef(parseImageRef('r.io/a:1') as never, D), `r.io/a@${D}`)
})

test('bad image references say what is wrong', () => {
  assert.match((parseImageRef('Demo/Hello') as { error: string }).error, /repository/)
  assert.match((parseImageRef('r.io/a@sha256:xyz') as { error: string }).error, /digest/)
  assert.match((parseImageRef('r.io/a:bad tag') as { error: string }).error, /tag/)
  assert.match((parseImageRef('') as { error: string }).error, /1 to 512/)
})

test('loopback registries', () => {
  assert.equal(isLoopbackRegistry('127.0.0.1:5000'), true)
  assert.equal(isLoopbackRegistry('localhost:5000'), true)
  assert.equal(isLoopbackRegistry('registry.example.com'), false)
})
