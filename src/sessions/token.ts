// Session tokens: the claims (session, instance, slot, expiry) and an HMAC with the instance's own
// session key, so the instance checks a connecting user by itself, offline, in microseconds, and a
// token is good only on the instance it was issued for. examples/game/server.js checks them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface SessionClaims {
  /** Session id. */
  sid: string
  /** Instance name. */
  inst: string
  slot: number
  /** Expiry, seconds since the epoch. */
  exp: number
}

export function newSessionKey(): string {
  return randomBytes(32).toString('base64url')
}

export function signSessionToken(key: string, c: SessionClaims): string {
  const payload = Buffer.from(JSON.stringify({ sid: c.sid, inst: c.inst, slot: c.slot, exp: c.exp })).toString('base64url')
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`
}

/** The claims when the signature holds and the token has not expired; undefined otherwise. */
export function verifySessionToken(key: string, token: string, nowMs: number): SessionClaims | undefined {
  const [payload, mac, extra] = token.split('.')
  if (!payload || !mac || extra !== undefined) return undefined
  const want = createHmac('sha256', key).update(payload).digest()
  const got = Buffer.from(mac, 'base64url')
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined
  try {
    const c = JSON.parse(Buffer.from(payload, 'base64url').toString()) as SessionClaims
    return c.exp * 1000 > nowMs ? c : undefined
  } catch {
    return undefined
  }
}
