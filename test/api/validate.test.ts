// validateResource: schema errors name field paths, defaults are filled in, semantic checks run,
// scope and envelope rules hold, and internal kinds stay internal.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, type Cause, type ErrorCode } from '../../src/api/errors.js'
import { fieldPath, validateResource } from '../../src/api/validate.js'
import { app, site } from './fixtures.js'

/** Validates `input`, expecting an ApiError of `code`; returns it. */
function rejects(input: unknown, code: ErrorCode, opts?: { allowInternal?: boolean }): ApiError {
  try {
    validateResource(input, opts)
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`)
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`)
    return err
  }
  assert.fail(`expected ${code}, but the input validated`)
}

function causeAt(err: ApiError, field: string): Cause {
  const c = err.details.causes?.find((x) => x.field === field)
  assert.ok(c, `no cause for ${field}; causes: ${JSON.stringify(err.details.causes)}`)
  return c
}

test('fieldPath turns a JSON pointer into a dotted path with indexes', () => {
  assert.equal(fieldPath('/spec/template/ports/0/name'), 'spec.template.ports[0].name')
  assert.equal(fieldPath('/metadata/labels/a~1b'), 'metadata.labels.a/b')
  assert.equal(fieldPath('/metadata/annotations/x~0y'), 'metadata.annotations.x~y')
  assert.equal(fieldPath(''), '')
})

test('a bad value deep in the template is reported with its field path, in the message too', () => {
  const err = rejects(app({ template: { ports: [{ name: 'HTTP!' }] } }), 'Invalid')
  causeAt(err, 'spec.template.ports[0].name')
  assert.match(err.message, /^App "web" is invalid: spec\.template\.ports\[0\]\.name: /)
  assert.equal(err.status, 422)
  assert.equal(err.details.kind, 'App')
  assert.equal(err.details.name, 'web')
})

test('an unknown field is named, with reason FieldValueUnknown', () => {
  const err = rejects(app({ spec: { bogus: true } }), 'Invalid')
  const c = causeAt(err, 'spec.bogus')
  assert.equal(c.reason, 'FieldValueUnknown')
  assert.match(err.message, /spec\.bogus: unknown field/)
  const top = rejects({ ...app(), extra: 1 }, 'Invalid')
  causeAt(top, 'extra')
  const meta = rejects(app({ metadata: { owner: 'me' } }), 'Invalid')
  causeAt(meta, 'metadata.owner')
})

test('an enum violation lists the allowed values', () => {
  const err = rejects(app({ template: { runtime: 'docker' } }), 'Invalid')
  const c = causeAt(err, 'spec.template.runtime')
  assert.equal(c.reason, 'FieldValueNotSupported')
  assert.equal(c.message, 'must be one of "process", "container"')
  const proto = rejects(app({ template: { ports: [{ name: 'dns', protocol: 'sctp' }] } }), 'Invalid')
  assert.equal(causeAt(proto, 'spec.template.ports[0].protocol').message, 'must be one of "tcp", "udp"')
  const tier = rejects(site({ spec: { tier: 'moon' } }), 'Invalid')
  assert.match(causeAt(tier, 'spec.tier').message, /"edge", "central"/)
})

test('a missing required field is named', () => {
  const input = app()
  delete input.spec.template.command
  const err = rejects(input, 'Invalid')
  assert.equal(causeAt(err, 'spec.template.command').reason, 'FieldValueRequired')
  const noMeta = app()
  delete noMeta.metadata
  causeAt(rejects(noMeta, 'Invalid'), 'metadata')
})

test('a value of the wrong type in a union is reported once, at its path', () => {
  const err = rejects(app({ template: { resources: { cpu: true } } }), 'Invalid')
  const causes = err.details.causes!.filter((c) => c.field === 'spec.template.resources.cpu')
  assert.equal(causes.length, 1, JSON.stringify(err.details.causes))
  assert.equal(causes[0].message, 'has the wrong type')
})

test('more than three causes are summarised in the message, all kept in details', () => {
  const err = rejects(app({ spec: { a: 1, b: 2, c: 3, d: 4, e: 5 } }), 'Invalid')
  assert.equal(err.details.causes!.length, 5)
  assert.match(err.message, /\(and 2 more\)$/)
})

test('defaults are filled in: replicas 1, runtime process, protocol tcp, grace period, probe settings', () => {
  const input = app({ template: { readiness: { http: { port: 'http' } }, liveness: { tcp: { port: 'http' } } } })
  const before = structuredClone(input)
  const out = validateResource(input) as any
  assert.deepEqual(input, before, 'the input is not modified')
  assert.equal(out.spec.replicas, 1)
  assert.equal(out.spec.template.runtime, 'process')
  assert.equal(out.spec.template.ports[0].protocol, 'tcp')
  assert.equal(out.spec.template.stopGracePeriodSeconds, 10)
  assert.deepEqual(out.spec.template.readiness, {
    http: { path: '/', port: 'http' }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1,
  })
  assert.equal(out.spec.template.liveness.periodSeconds, 5)
  assert.equal(out.spec.template.liveness.http, undefined)
  assert.equal((validateResource(site()) as any).spec.tier, 'edge')
})

test('given values are kept over defaults', () => {
  const out = validateResource(app({ spec: { replicas: 0 }, template: { readiness: { tcp: { port: 'http' }, periodSeconds: 2 } } })) as any
  assert.equal(out.spec.replicas, 0)
  assert.equal(out.spec.template.readiness.periodSeconds, 2)
})

test('a probe needs exactly one of http or tcp', () => {
  const both = rejects(app({ template: { readiness: { http: { port: 'http' }, tcp: { port: 'http' } } } }), 'Invalid')
  assert.equal(causeAt(both, 'spec.template.readiness').message, 'set exactly one of http or tcp')
  const neither = rejects(app({ template: { liveness: { periodSeconds: 3 } } }), 'Invalid')
  assert.equal(causeAt(neither, 'spec.template.liveness').message, 'set exactly one of http or tcp')
})

test('probe and traffic ports must be declared in the template', () => {
  const probe = rejects(app({ template: { readiness: { http: { port: 'admin' } } } }), 'Invalid')
  const c = causeAt(probe, 'spec.template.readiness.http.port')
  assert.equal(c.reason, 'FieldValueNotFound')
  assert.match(c.message, /"admin" is not declared in spec\.template\.ports/)
  causeAt(rejects(app({ template: { liveness: { tcp: { port: 'admin' } } } }), 'Invalid'), 'spec.template.liveness.tcp.port')
  const traffic = rejects(app({ spec: { traffic: { host: 'web.example.com', port: 'grpc' } } }), 'Invalid')
  assert.match(causeAt(traffic, 'spec.traffic.port').message, /"grpc" is not declared/)
  const ok = validateResource(app({ spec: { traffic: { host: 'web.example.com', port: 'http' } } })) as any
  assert.equal(ok.spec.traffic.port, 'http')
})

test('port names must be unique', () => {
  const err = rejects(app({ template: { ports: [{ name: 'http' }, { name: 'http' }] } }), 'Invalid')
  assert.equal(causeAt(err, 'spec.template.ports[1].name').reason, 'FieldValueDuplicate')
})

test('cpu and memory quantities are checked', () => {
  const cpu = rejects(app({ template: { resources: { cpu: 'lots' } } }), 'Invalid')
  assert.match(causeAt(cpu, 'spec.template.resources.cpu').message, /"lots" is not a cpu quantity/)
  const mem = rejects(app({ template: { resources: { memory: '12XB' } } }), 'Invalid')
  assert.match(causeAt(mem, 'spec.template.resources.memory').message, /"12XB" is not a memory quantity/)
  const neg = rejects(app({ template: { resources: { cpu: -1 } } }), 'Invalid')
  causeAt(neg, 'spec.template.resources.cpu')
  const out = validateResource(app({ template: { resources: { cpu: '500m', memory: '256Mi' } } })) as any
  assert.deepEqual(out.spec.template.resources, { cpu: '500m', memory: '256Mi' })
  validateResource(app({ template: { resources: { cpu: 0.5, memory: 1024 } } }))
})

test('matchExpressions: In/NotIn need values, Exists/DoesNotExist take none', () => {
  const sel = (matchExpressions: unknown[]) => app({ spec: { placement: { siteSelector: { matchExpressions } } } })
  const missing = rejects(sel([{ key: 'zone', operator: 'In' }]), 'Invalid')
  assert.equal(causeAt(missing, 'spec.placement.siteSelector.matchExpressions[0].values').reason, 'FieldValueRequired')
  const empty = rejects(sel([{ key: 'zone', operator: 'Exists' }, { key: 'zone', operator: 'NotIn', values: [] }]), 'Invalid')
  causeAt(empty, 'spec.placement.siteSelector.matchExpressions[1].values')
  const extra = rejects(sel([{ key: 'zone', operator: 'DoesNotExist', values: ['a'] }]), 'Invalid')
  assert.equal(causeAt(extra, 'spec.placement.siteSelector.matchExpressions[0].values').reason, 'FieldValueForbidden')
  const op = rejects(sel([{ key: 'zone', operator: 'Near' }]), 'Invalid')
  causeAt(op, 'spec.placement.siteSelector.matchExpressions[0].operator')
  validateResource(sel([{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'Exists' }]))
})

test('cluster-scoped kinds reject a namespace; namespaced kinds default to "default"', () => {
  const err = rejects(site({ metadata: { namespace: 'prod' } }), 'Invalid')
  assert.equal(causeAt(err, 'metadata.namespace').reason, 'FieldValueForbidden')
  assert.match(err.message, /cluster-scoped/)
  assert.equal(validateResource(site()).metadata.namespace, undefined)
  assert.equal(validateResource(app()).metadata.namespace, 'default')
  assert.equal(validateResource(app({ metadata: { namespace: 'prod' } })).metadata.namespace, 'prod')
  causeAt(rejects(app({ metadata: { namespace: 'Prod_1' } }), 'Invalid'), 'metadata.namespace')
})

test('names must be DNS-style', () => {
  causeAt(rejects(app({ metadata: { name: 'Web_1' } }), 'Invalid'), 'metadata.name')
  causeAt(rejects(app({ metadata: { name: '' } }), 'Invalid'), 'metadata.name')
  validateResource(app({ metadata: { name: 'web-1.eu' } }))
})

test('a wrong apiVersion is Invalid and names the served version', () => {
  const err = rejects({ ...app(), apiVersion: 'apps/v1' }, 'Invalid')
  assert.equal(causeAt(err, 'apiVersion').reason, 'FieldValueNotSupported')
  assert.match(err.message, /"apps\/v1" is not served; use edgeplane\.io\/v1/)
  const missing = app()
  delete missing.apiVersion
  rejects(missing, 'Invalid')
})

test('kind: missing is Invalid, unknown is UnknownKind', () => {
  const noKind = app()
  delete noKind.kind
  causeAt(rejects(noKind, 'Invalid'), 'kind')
  const unknown = rejects({ ...app(), kind: 'Deployment2' }, 'UnknownKind')
  assert.equal(unknown.status, 404)
  assert.match(unknown.message, /unknown kind "Deployment2"/)
  assert.match(unknown.message, /App/)
})

test('the internal kind Token is refused unless allowInternal', () => {
  const token = { apiVersion: 'edgeplane.io/v1', kind: 'Token', metadata: { name: 'abcdef012345' }, spec: { type: 'join', hash: 'x' } }
  const err = rejects(token, 'UnknownKind')
  assert.match(err.message, /known kinds: /)
  assert.doesNotMatch(err.message.split('known kinds:')[1], /Token/)
  assert.equal(validateResource(token, { allowInternal: true }).kind, 'Token')
})

test('a body that is not an object is BadRequest', () => {
  for (const v of [null, 'App', 42, [app()]]) rejects(v, 'BadRequest')
})

test('every public kind validates a minimal valid object', () => {
  validateResource({ apiVersion: 'edgeplane.io/v1', kind: 'Node', metadata: { name: 'n1' }, spec: { site: 'par-1', address: '127.0.0.1' } })
  validateResource({
    apiVersion: 'edgeplane.io/v1', kind: 'Instance', metadata: { name: 'web-abc' },
    spec: { app: 'web', revision: 'r1', node: 'n1', site: 'par-1', template: { command: 'node' } },
  })
  validateResource({
    apiVersion: 'edgeplane.io/v1', kind: 'Event', metadata: { name: 'web.1' }, involvedObject: { kind: 'App', name: 'web' },
    type: 'Normal', reason: 'Placed', message: 'ok', count: 1, firstTimestamp: 't', lastTimestamp: 't', source: { component: 'x' },
  })
})
