// The gateway's own answers: a status, a stable code and a message that says what happened and
// what to do, as JSON, on an HTTP response or (before/after HTTP parsing) on the raw socket.
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { SITE_HEADER } from './hops.js'

export type GatewayErrorCode =
  | 'unknown_host' | 'no_routes' | 'no_ready_instance' | 'site_saturated' | 'instances_failing'
  | 'hop_limit' | 'bad_gateway' | 'gateway_timeout' | 'rate_limited' | 'too_many_connections'
  | 'headers_too_large' | 'body_too_large' | 'request_timeout' | 'bad_request' | 'internal_error'

export interface GatewayError {
  status: number
  code: GatewayErrorCode
  message: string
  /** Seconds, for 429 and 503. */
  retryAfter?: number
  /** Close the connection after answering. */
  close?: boolean
}

export function errorBody(e: GatewayError, site: string): string {
  return JSON.stringify({ error: e.code, status: e.status, message: e.message, site }) + '\n'
}

export function sendError(res: ServerResponse, e: GatewayError, site: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = errorBody(e, site)
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    [SITE_HEADER]: site,
    'x-edgeplane-error': e.code,
  }
  if (e.retryAfter !== undefined) headers['retry-after'] = e.retryAfter
  if (e.close) headers.connection = 'close'
  res.writeHead(e.status, headers)
  res.end(body)
}

/** A complete HTTP/1.1 response with Connection: close, for sockets outside an HTTP exchange. */
export function rawErrorResponse(e: GatewayError, site: string): string {
  const body = errorBody(e, site)
  return `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? 'Error'}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'cache-control: no-store\r\n' +
    `${SITE_HEADER}: ${site}\r\n` +
    `x-edgeplane-error: ${e.code}\r\n` +
    (e.retryAfter !== undefined ? `retry-after: ${e.retryAfter}\r\n` : '') +
    'connection: close\r\n\r\n' + body
}

/** Answers on a raw socket and closes it (the socket is destroyed if the peer does not close). */
export function sendRawError(socket: Socket, e: GatewayError, site: string): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy()
    return
  }
  socket.end(rawErrorResponse(e, site))
  socket.resume() // read and drop whatever the client still sends, so the close is not a reset
  const t = setTimeout(() => socket.destroy(), 2_000)
  t.unref()
  socket.once('close', () => clearTimeout(t))
}
