// Token strings: "<prefix>.<id>.<secret>" — the id names the stored Token, only sha256(secret) is kept.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { ApiError } from '../../api/errors.js'

export const PREFIX = { admin: 'epa', join: 'epj', node: 'epn' } as const
export type TokenType = keyof typeof PREFIX

/** `caFingerprint`: the server CA's sha256, which join tokens carry as a fourth part (for pinning). */
export interface ParsedToken { type: TokenType; id: string; secret: string; caFingerprint?: string }

export function mintToken(type: TokenType): { token: string; id: string; hash: string } {
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(24).toString('base64url')
  return { token: `${PREFIX[type]}.${id}.${secret}`, id, hash: hashSecret(secret) }
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

export function parseToken(token: string): ParsedToken {
  const parts = token.trim().split('.')
  const type = (Object.keys(PREFIX) as TokenType[]).find((t) => PREFIX[t] === parts[0])
  // Only a join token may carry a fourth part, and only a CA fingerprint: anything else appended to a
  // token is a copy-paste accident or tampering, not a token that should be accepted.
  const pinned = type === 'join' && parts.length === 4 && /^[0-9a-f]{64}$/i.test(parts[3])
  if (!type || (parts.length !== 3 && !pinned) || !/^[0-9a-f]{12}$/.test(parts[1]) || !/^[A-Za-z0-9_-]+$/.test(parts[2])) {
    throw new ApiError('Unauthorized', 'the token is malformed (expected the form epX.<id>.<secret>, join tokens optionally .<CA sha256>)')
  }
  return { type, id: parts[1], secret: parts[2], ...(pinned ? { caFingerprint: parts[3].toLowerCase() } : {}) }
}

export function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex')
  const b = Buffer.from(hash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
