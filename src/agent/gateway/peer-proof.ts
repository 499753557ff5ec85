// Proof that a request was forwarded by another site's gateway, so the receiving gateway may believe
// its x-forwarded-for (per-client limits and demand then apply to the real client, not to the
// forwarding gateway, which would otherwise hit the per-IP rate limit as soon as it overflows). The
// server hands every gateway the fleet's peer key over the authenticated link; a forward carries
// "x-edgeplane-peer: <unix seconds>.<HMAC-SHA256(key, seconds + x-forwarded-for)>". Peers are
// recognised by the key, not by address: NAT and several addresses per site change nothing.
// Limits: a captured header can be replayed for the same x-forwarded-for within MAX_SKEW_S, and a
// node that holds the key can claim any client address (the same trust as a trusted-peer IP list).
import { createHmac, timingSafeEqual } from 'node:crypto'

export const PEER_HEADER = 'x-edgeplane-peer'
/** How far a proof's time may be from ours (clock skew between sites plus transit). */
export const MAX_SKEW_S = 300

const MAC_BYTES = 16

function mac(key: Buffer, seconds: number, xff: string): Buffer {
  return createHmac('sha256', key).update(`${seconds}\n${xff}`).digest().subarray(0, MAC_BYTES)
}

export function signPeer(key: Buffer, xff: string, nowMs: number): string {
  const s = Math.floor(nowMs / 1000)
  return `${s}.${mac(key, s, xff).toString('base64url')}`
}

/** True when `proof` was made with `key` for exactly this x-forwarded-for, recently. */
export function verifyPeer(key: Buffer, proof: string, xff: string, nowMs: number): boolean {
  const dot = proof.indexOf('.')
  if (dot <= 0 || dot > 12) return false
  const s = Number(proof.slice(0, dot))
  if (!Number.isInteger(s) || Math.abs(nowMs / 1000 - s) > MAX_SKEW_S) return false
  const got = Buffer.from(proof.slice(dot + 1), 'base64url')
  return got.length === MAC_BYTES && timingSafeEqual(got, mac(key, s, xff))
}

/** A peer key as the link carries it (32 random bytes, base64url) → bytes; undefined if malformed. */
export function decodePeerKey(text: string | undefined): Buffer | undefined {
  if (!text || !/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined
  return Buffer.from(text, 'base64url')
}
