// What a CLI user sees when a command fails: one line that says what failed and what to try.
// Messages written for people (the server's Status, the CLI's own checks) pass through; a bug's
// JavaScript text (a TypeError, a stack) never does, unless --verbose asks for it.
import { ApiError } from '../api/errors.js'

/** Errors of the operating system, in words (the code stays in brackets for searching). */
const SYSTEM: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'it already exists',
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not available on this machine',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'timed out',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
}

const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/

/** Error classes whose message is written for the user (parsers of the user's own files). */
const USER_FACING = new Set(['Error', 'ApiError', 'CommanderError', 'YAMLParseError', 'YAMLWarning'])

export function formatError(err: unknown, o: { command?: string; verbose?: boolean } = {}): string {
  const line = oneLine(err, o.command ?? 'the command')
  if (!o.verbose) return line
  const stack = (err as Error)?.stack
  return stack ? `${line}\n${stack}` : line
}

function oneLine(err: unknown, command: string): string {
  if (err instanceof ApiError) {
    const causes = err.details.causes ?? []
    const extra = causes.length > 3 ? causes.map((c) => `\n  - ${c.field ? `${c.field}: ` : ''}${c.message}`).join('') : ''
    let hint = ''
    if (err.code === 'Unavailable' && /cannot reach the server/.test(err.message)) {
      hint = TLS.test(err.message)
        ? ' (the server\'s certificate is not trusted: pass --ca-file, or run "edgeplane login" with --ca-file)'
        : ' (is the server running? check --server, EDGEPLANE_SERVER or ~/.edgeplane/config.json)'
    } else if (err.code === 'Unauthorized') hint = ' (check --token, EDGEPLANE_TOKEN or run "edgeplane login")'
    return `error: ${err.message}${hint}${extra}`
  }
  const e = err as NodeJS.ErrnoException | undefined
  if (e && typeof e === 'object' && typeof e.code === 'string' && (e.syscall || SYSTEM[e.code])) {
    const what = e.path ? `${e.syscall ?? 'use'} ${e.path}` : e.syscall ?? command
    return `error: ${command}: cannot ${what}: ${SYSTEM[e.code] ?? 'system error'} [${e.code}]`
  }
  if (e instanceof Error && USER_FACING.has(e.constructor.name) && e.message) return `error: ${e.message.split('\n')[0]}`
  if (typeof err === 'string') return `error: ${err}`
  return `error: ${command} failed unexpectedly (a bug in edgeplane, not in your input); run it again with --verbose for details and report them`
}
