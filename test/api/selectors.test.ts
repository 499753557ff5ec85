// Label selectors (kubectl string form and structured form) and field selectors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../src/api/errors.js'
import { matchesRequirements, matchesSelector, parseSelector, selectorRequirements } from '../../src/api/labels.js'
import { matchesFields, parseFieldSelector } from '../../src/api/field-selector.js'

function badRequest(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ApiError && err.code === 'BadRequest' && pattern.test(err.message))
}

test('parseSelector reads every kubectl form', () => {
  assert.deepEqual(parseSelector('tier=edge, env==prod,zone!=b,gpu,!spot,region in (eu, us),provider notin (x)'), [
    { key: 'tier', operator: 'In', values: ['edge'] },
    { key: 'env', operator: 'In', values: ['prod'] },
    { key: 'zone', operator: 'NotIn', values: ['b'] },
    { key: 'gpu', operator: 'Exists' },
    { key: 'spot', operator: 'DoesNotExist' },
    { key: 'region', operator: 'In', values: ['eu', 'us'] },
    { key: 'provider', operator: 'NotIn', values: ['x'] },
  ])
  assert.deepEqual(parseSelector('edgeplane.io/app=web'), [{ key: 'edgeplane.io/app', operator: 'In', values: ['web'] }])
  assert.deepEqual(parseSelector(''), [])
  assert.deepEqual(parseSelector(undefined), [])
  assert.deepEqual(parseSelector('  '), [])
})

test('parseSelector refuses what it cannot read, naming the part', () => {
  badRequest(() => parseSelector('a in (x'), /cannot parse "a in \(x"/)
  badRequest(() => parseSelector('-bad=1'), /"-bad" .* is not a valid label key/)
  badRequest(() => parseSelector('a b c'), /label selector: cannot parse/)
  badRequest(() => parseSelector('!'), /label selector/)
})

test('matchesSelector: matchLabels and matchExpressions together', () => {
  const sel = { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'region', operator: 'In' as const, values: ['eu', 'us'] }, { key: 'spot', operator: 'DoesNotExist' as const }] }
  assert.equal(matchesSelector({ tier: 'edge', region: 'eu' }, sel), true)
  assert.equal(matchesSelector({ tier: 'edge', region: 'ap' }, sel), false)
  assert.equal(matchesSelector({ tier: 'central', region: 'eu' }, sel), false)
  assert.equal(matchesSelector({ tier: 'edge', region: 'us', spot: 'yes' }, sel), false)
  assert.equal(matchesSelector(undefined, sel), false)
  assert.equal(matchesSelector(undefined, undefined), true)
  assert.equal(matchesSelector({ a: 'b' }, {}), true)
  assert.equal(selectorRequirements(sel).length, 3)
})

test('matchesRequirements: NotIn and DoesNotExist match objects without labels; Exists does not', () => {
  assert.equal(matchesRequirements(undefined, parseSelector('zone!=b')), true)
  assert.equal(matchesRequirements(undefined, parseSelector('!spot')), true)
  assert.equal(matchesRequirements(undefined, parseSelector('gpu')), false)
  assert.equal(matchesRequirements({ zone: 'b' }, parseSelector('zone notin (a,b)')), false)
  assert.equal(matchesRequirements({ gpu: '' }, parseSelector('gpu')), true)
  // Own keys only: "constructor" is not a label of an empty map.
  assert.equal(matchesRequirements({}, parseSelector('constructor')), false)
})

test('parseFieldSelector and matchesFields: equality and inequality on dotted paths', () => {
  const reqs = parseFieldSelector('spec.node=n1, metadata.namespace!=kube')
  assert.deepEqual(reqs, [
    { path: ['spec', 'node'], value: 'n1', negate: false },
    { path: ['metadata', 'namespace'], value: 'kube', negate: true },
  ])
  assert.deepEqual(parseFieldSelector('a==b'), [{ path: ['a'], value: 'b', negate: false }])
  assert.deepEqual(parseFieldSelector(undefined), [])
  assert.deepEqual(parseFieldSelector(' '), [])
  const obj = { metadata: { namespace: 'default' }, spec: { node: 'n1', replicas: 2 } }
  assert.equal(matchesFields(obj, reqs), true)
  assert.equal(matchesFields({ ...obj, spec: { node: 'n2' } }, reqs), false)
  assert.equal(matchesFields(obj, parseFieldSelector('spec.replicas=2')), true)
  // A missing field reads as the empty string.
  assert.equal(matchesFields(obj, parseFieldSelector('spec.site=')), true)
  assert.equal(matchesFields(obj, parseFieldSelector('spec.site!=')), false)
})

test('parseFieldSelector refuses what it cannot read', () => {
  badRequest(() => parseFieldSelector('spec.node'), /field selector: cannot parse "spec.node"/)
  badRequest(() => parseFieldSelector('spec node=x'), /field selector/)
})
