// One registry of typed errors: every failure the API, store, link or CLI reports has a stable code,
// an HTTP status, a Kubernetes-style reason and whether retrying can help.

export interface ErrorSpec {
  readonly status: number
  readonly reason: string
  readonly retryable: boolean
}

export const ERRORS = {
  BadRequest: { status: 400, reason: 'BadRequest', retryable: false },
  Invalid: { status: 422, reason: 'Invalid', retryable: false },
  UnknownKind: { status: 404, reason: 'NotFound', retryable: false },
  NotFound: { status: 404, reason: 'NotFound', retryable: false },
  AlreadyExists: { status: 409, reason: 'AlreadyExists', retryable: false },
  Conflict: { status: 409, reason: 'Conflict', retryable: true },
  Compacted: { status: 410, reason: 'Expired', retryable: true },
  Unauthorized: { status: 401, reason: 'Unauthorized', retryable: false },
  Forbidden: { status: 403, reason: 'Forbidden', retryable: false },
  TokenExhausted: { status: 403, reason: 'Forbidden', retryable: false },
  TokenExpired: { status: 401, reason: 'Unauthorized', retryable: false },
  PayloadTooLarge: { status: 413, reason: 'RequestEntityTooLarge', retryable: false },
  UnsupportedMediaType: { status: 415, reason: 'UnsupportedMediaType', retryable: false },
  NotAcceptable: { status: 406, reason: 'NotAcceptable', retryable: false },
  MethodNotAllowed: { status: 405, reason: 'MethodNotAllowed', retryable: false },
  Unavailable: { status: 503, reason: 'ServiceUnavailable', retryable: true },
  Timeout: { status: 504, reason: 'Timeout', retryable: true },
  Internal: { status: 500, reason: 'InternalError', retryable: true },
  LinkProtocol: { status: 400, reason: 'BadRequest', retryable: false },
  StaleServer: { status: 409, reason: 'Conflict', retryable: false },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERRORS

export interface Cause {
  field?: string
  reason?: string
  message: string
}

export interface ErrorDetails {
  kind?: string
  name?: string
  causes?: Cause[]
  retryAfterSeconds?: number
}

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly details: ErrorDetails

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.details = details
  }

  get status(): number {
    return ERRORS[this.code].status
  }

  get retryable(): boolean {
    return ERRORS[this.code].retryable
  }
}

export function isApiError(err: unknown, code?: ErrorCode): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code)
}

/** The Kubernetes `Status` object that carries an error over HTTP. */
export interface StatusObject {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure'
  message: string
  reason: string
  code: number
  details?: ErrorDetails & { code: ErrorCode; retryable: boolean }
}

export function toStatus(err: ApiError): StatusObject {
  const spec = ERRORS[err.code]
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: spec.reason,
    code: spec.status,
    details: { ...err.details, code: err.code, retryable: spec.retryable },
  }
}

/** Rebuilds an ApiError from a Status body (used by clients of the HTTP API). */
export function fromStatus(body: unknown, httpStatus: number): ApiError {
  const s = body as Partial<StatusObject> | undefined
  // Own keys only: "toString" or "constructor" are `in` ERRORS too, but are no error code.
  const code = s?.details?.code && Object.hasOwn(ERRORS, s.details.code) ? s.details.code : codeForStatus(httpStatus)
  const { code: _c, retryable: _r, ...details } = s?.details ?? ({} as Partial<NonNullable<StatusObject['details']>>)
  return new ApiError(code, s?.message ?? `HTTP ${httpStatus}`, details as ErrorDetails)
}

function codeForStatus(status: number): ErrorCode {
  for (const [code, spec] of Object.entries(ERRORS)) if (spec.status === status) return code as ErrorCode
  return status >= 500 ? 'Internal' : 'BadRequest'
}
