// PostgreSQL failures as typed errors: a database that cannot be reached (refused, reset, shut
// down, too slow to connect) is Unavailable (HTTP 503, retryable), with the cause in the message.
import { ApiError } from '../../api/errors.js'

/** SQLSTATE classes of a server that is going away or not accepting work. */
const UNAVAILABLE_STATES = /^(08|53|57P|58)/

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: string }).code
  if (code && UNAVAILABLE_STATES.test(code)) return true
  if (code && /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code)) return true
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(err.message)
}

/** ApiErrors pass through; a lost database becomes Unavailable; anything else is rethrown as is. */
export function asStoreError(err: unknown): unknown {
  if (err instanceof ApiError) return err
  if (isConnectionError(err)) return new ApiError('Unavailable', `the database (PostgreSQL) is unreachable: ${(err as Error).message}; retry (a write that failed this way may or may not have been made: read before writing again)`)
  return err
}
