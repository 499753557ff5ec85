// parseResourcePath: what a path below /apis/edgeplane.io/v1/ addresses, and the typed errors
// for what it cannot.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, type ErrorCode } from '../../src/api/errors.js'
import { parseResourcePath } from '../../src/server/http/resource-path.js'

function fails(rest: string, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(() => parseResourcePath(rest), (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err))
    assert.equal(err.code, code, `${rest}: ${err.message}`)
    if (pattern) assert.match(err.message, pattern)
    return true
  })
}

const brief = (rest: string) => {
  const p = parseResourcePath(rest)
  return { kind: p.info.kind, namespace: p.namespace, name: p.name, sub: p.sub }
}

test('collections, objects and subresources', () => {
  assert.deepEqual(brief('namespaces/prod/apps'), { kind: 'App', namespace: 'prod', name: undefined, sub: undefined })
  assert.deepEqual(brief('namespaces/prod/apps/web'), { kind: 'App', namespace: 'prod', name: 'web', sub: undefined })
  assert.deepEqual(brief('namespaces/prod/apps/web/status'), { kind: 'App', namespace: 'prod', name: 'web', sub: 'status' })
  assert.deepEqual(brief('namespaces/default/instances/i1/log'), { kind: 'Instance', namespace: 'default', name: 'i1', sub: 'log' })
  assert.deepEqual(brief('sites/par-1'), { kind: 'Site', namespace: undefined, name: 'par-1', sub: undefined })
  assert.deepEqual(brief('nodes'), { kind: 'Node', namespace: undefined, name: undefined, sub: undefined })
})

test('a namespaced object without a namespace is in "default"; a list without one spans all', () => {
  assert.equal(brief('apps/web').namespace, 'default')
  assert.equal(brief('apps').namespace, undefined)
})

test('the path is taken as already decoded (no second decoding)', () => {
  assert.equal(brief('namespaces/default/apps/%E0').name, '%E0')
  assert.equal(brief('namespaces/default/apps/a%2Fb').name, 'a%2Fb')
})

test('unknown plurals, internal kinds and wrong shapes are typed errors', () => {
  fails('widgets', 'UnknownKind', /no resource type "widgets" \(served: sites, nodes, apps, revisions, instances, sessions, events\)/)
  fails('tokens', 'UnknownKind')
  fails('', 'UnknownKind')
  fails('namespaces/default', 'NotFound', /namespaces\/\{namespace\}\/\{plural\}/)
  fails('namespaces/default/sites/par-1', 'NotFound', /Site is cluster-scoped: use \/apis\/edgeplane\.io\/v1\/sites/)
  fails('namespaces/default/apps/web/exec', 'NotFound', /no subresource "exec"/)
  fails('namespaces/default/instances/x/scale', 'NotFound', /only apps have a scale subresource/)
  fails('namespaces/default/apps/web/status/x', 'NotFound', /no subresource "status\/x"/)
  fails('namespaces/default/events/e1/status', 'NotFound', /no status subresource/)
  fails('namespaces/default/apps/web/log', 'NotFound', /only instances have logs/)
})
