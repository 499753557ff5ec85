// The one error registry: every code has an HTTP status, a Kubernetes reason and a retryability,
// and errors survive the trip to a Status object and back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, ERRORS, fromStatus, isApiError, toStatus, type ErrorCode } from '../../src/api/errors.js'

const codes = Object.keys(ERRORS) as ErrorCode[]

test('every code has a 4xx/5xx status, a reason and a boolean retryable', () => {
  assert.ok(codes.length >= 10)
  for (const code of codes) {
    const spec = ERRORS[code]
    assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `${code}: status ${spec.status}`)
    assert.equal(typeof spec.reason, 'string', code)
    assert.match(spec.reason, /^[A-Z][A-Za-z]+$/, `${code}: reason "${spec.reason}"`)
    assert.equal(typeof spec.retryable, 'boolean', code)
  }
})

test('the registry says what the API promises', () => {
  const expect: [ErrorCode, number, string, boolean][] = [
    ['BadRequest', 400, 'BadRequest', false],
    ['Invalid', 422, 'Invalid', false],
    ['UnknownKind', 404, 'NotFound', false],
    ['NotFound', 404, 'NotFound', false],
    ['AlreadyExists', 409, 'AlreadyExists', false],
    ['Conflict', 409, 'Conflict', true],
    ['Compacted', 410, 'Expired', true],
    ['Unauthorized', 401, 'Unauthorized', false],
    ['TokenExpired', 401, 'Unauthorized', false],
    ['Forbidden', 403, 'Forbidden', false],
    ['TokenExhausted', 403, 'Forbidden', false],
    ['PayloadTooLarge', 413, 'RequestEntityTooLarge', false],
    ['UnsupportedMediaType', 415, 'UnsupportedMediaType', false],
    ['Unavailable', 503, 'ServiceUnavailable', true],
    ['Internal', 500, 'InternalError', true],
  ]
  for (const [code, status, reason, retryable] of expect) {
    assert.deepEqual({ ...ERRORS[code] }, { status, reason, retryable }, code)
  }
})

test('ApiError takes status and retryable from the registry', () => {
  for (const code of codes) {
    const e = new ApiError(code, 'm')
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'ApiError')
    assert.equal(e.status, ERRORS[code].status)
    assert.equal(e.retryable, ERRORS[code].retryable)
    assert.deepEqual(e.details, {})
  }
})

test('isApiError checks the class and, when given, the code', () => {
  const e = new ApiError('Conflict', 'stale')
  assert.equal(isApiError(e), true)
  assert.equal(isApiError(e, 'Conflict'), true)
  assert.equal(isApiError(e, 'NotFound'), false)
  assert.equal(isApiError(new Error('x')), false)
  assert.equal(isApiError({ code: 'Conflict' }), false)
})

test('toStatus builds a Kubernetes Status object', () => {
  const e = new ApiError('Invalid', 'App "web" is invalid: spec.bogus: unknown field', {
    kind: 'App', name: 'web', causes: [{ field: 'spec.bogus', reason: 'FieldValueUnknown', message: 'unknown field' }],
  })
  assert.deepEqual(toStatus(e), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
    message: 'App "web" is invalid: spec.bogus: unknown field', reason: 'Invalid', code: 422,
    details: { kind: 'App', name: 'web', causes: [{ field: 'spec.bogus', reason: 'FieldValueUnknown', message: 'unknown field' }], code: 'Invalid', retryable: false },
  })
})

test('toStatus → JSON → fromStatus keeps code, message, causes and details for every code', () => {
  for (const code of codes) {
    const e = new ApiError(code, `failure of ${code}`, { kind: 'App', name: 'web', causes: [{ field: 'spec.replicas', message: 'too many' }], retryAfterSeconds: 3 })
    const wire = JSON.parse(JSON.stringify(toStatus(e)))
    const back = fromStatus(wire, e.status)
    assert.equal(back.code, code)
    assert.equal(back.message, e.message)
    assert.equal(back.status, e.status)
    assert.equal(back.retryable, e.retryable)
    assert.deepEqual(back.details, e.details)
  }
})

test('fromStatus falls back to the HTTP status when the body has no usable code', () => {
  assert.equal(fromStatus(undefined, 404).code, 'UnknownKind')
  assert.equal(fromStatus(undefined, 404).status, 404)
  assert.equal(fromStatus(undefined, 404).message, 'HTTP 404')
  assert.equal(fromStatus({ message: 'gone' }, 410).code, 'Compacted')
  assert.equal(fromStatus({ message: 'gone' }, 410).message, 'gone')
  assert.equal(fromStatus('<html>', 502).code, 'Internal')
  assert.equal(fromStatus({}, 418).code, 'BadRequest')
  assert.equal(fromStatus({ details: { code: 'NoSuchCode' } }, 409).status, 409)
})

test('fromStatus ignores a details.code that is only an inherited property name', () => {
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    const e = fromStatus({ message: 'x', details: { code: name } }, 403)
    assert.ok(Object.hasOwn(ERRORS, e.code), `${name} → ${e.code}`)
    assert.equal(e.status, 403)
  }
})
