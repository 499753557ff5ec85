// Proof that a request was forwarded by another site's gateway, so the receiving gateway may believe
// its x-forwarded-for (per-client limits and demand then apply to the real client, not to the
// forwarding gateway, which would otherwise hit the per-IP rate limit as soon as it overflows).
//
// Each gateway has its own Ed25519 key and a certificate for it signed by the fleet key (the server
// holds it in DATA_DIR/peer.key; only nodes whose credential allows a gateway get one, over the
// authenticated link). A forward carries
//   x-edgeplane-peer: <unix seconds>.<signature of seconds, x-forwarded-for, node>.<certificate>
// and a gateway checks the certificate against the fleet's public key, then the signature against
// the certificate's key. So a proof names the gateway that made it, and a node that leaks its key
// speaks only as itself, until its certificate expires (PEER_CERT_LIFETIME_S). Peers are recognised
// by proof, not by address: NAT and several addresses per site change nothing.
// Why not mutual TLS between gateways: forwards go to the same plain-HTTP port that serves users,
// and TLS would add a handshake to every overflow hop and a second listener per gateway; signed
// headers bind the same identity without changing the transport. (A proof seen on the wire can be
// replayed for the same x-forwarded-for within MAX_SKEW_S.)
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'

export const PEER_HEADER = 'x-edgeplane-peer'
/** How far a proof's time may be from ours (clock skew between sites plus transit). */
export const MAX_SKEW_S = 300
/** How long a gateway certificate is good for; the server renews it at half its life over the link. */
export const PEER_CERT_LIFETIME_S = 24 * 3600

/** What a gateway holds to prove its forwards and check others'. */
export interface PeerIdentity { node: string; key: KeyObject; cert: string; ca: KeyObject }
/** The same on the wire (routes message) and on disk: base64url raw keys. */
export interface PeerGrant { node: string; key: string; cert: string; ca: string }

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
const B64_32 = /^[A-Za-z0-9_-]{43}$/

export function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
}
export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
}
export function rawPublicKey(k: KeyObject): Buffer {
  return (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length)
}
export function seedOf(k: KeyObject): Buffer {
  return k.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length)
}

/** A certificate: base64url({"n":node,"k":public key,"e":expiry seconds}) "." fleet signature. */
export function issuePeerCert(fleet: KeyObject, node: string, pub: KeyObject, expiresS: number): string {
  const body = Buffer.from(JSON.stringify({ n: node, k: rawPublicKey(pub).toString('base64url'), e: expiresS })).toString('base64url')
  return `${body}.${sign(null, Buffer.from(`edgeplane-peer-cert\n${body}`), fleet).toString('base64url')}`
}

interface CheckedCert { node: string; key: KeyObject; expiresS: number }
/** Certificates already checked (a fleet has few gateways; bounded all the same). */
const certCache = new Map<string, CheckedCert>()
const CERT_CACHE_MAX = 1024

function checkCert(ca: KeyObject, caId: string, cert: string): CheckedCert | undefined {
  const cacheKey = `${caId} ${cert}`
  const hit = certCache.get(cacheKey)
  if (hit) return hit
  const dot = cert.indexOf('.')
  if (dot <= 0 || cert.length > 1024) return undefined
  const body = cert.slice(0, dot)
  const sig = Buffer.from(cert.slice(dot + 1), 'base64url')
  if (sig.length !== 64 || !verify(null, Buffer.from(`edgeplane-peer-cert\n${body}`), ca, sig)) return undefined
  let parsed: { n?: unknown; k?: unknown; e?: unknown }
  try { parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) } catch { return undefined }
  if (typeof parsed.n !== 'string' || typeof parsed.k !== 'string' || !B64_32.test(parsed.k) || typeof parsed.e !== 'number') return undefined
  const checked = { node: parsed.n, key: publicKeyFromRaw(Buffer.from(parsed.k, 'base64url')), expiresS: parsed.e }
  if (certCache.size >= CERT_CACHE_MAX) certCache.clear()
  certCache.set(cacheKey, checked)
  return checked
}

function message(seconds: number, xff: string, node: string): Buffer {
  return Buffer.from(`edgeplane-peer\n${seconds}\n${xff}\n${node}`)
}

export function signPeer(id: PeerIdentity, xff: string, nowMs: number): string {
  const s = Math.floor(nowMs / 1000)
  return `${s}.${sign(null, message(s, xff, id.node), id.key).toString('base64url')}.${id.cert}`
}

/**
 * The node name of the gateway that made `proof` for exactly this x-forwarded-for, recently, with a
 * certificate from the fleet key `ca` that has not expired; undefined for anything else.
 */
export function verifyPeer(ca: KeyObject, proof: string, xff: string, nowMs: number): string | undefined {
  const a = proof.indexOf('.')
  const b = a > 0 ? proof.indexOf('.', a + 1) : -1
  if (a <= 0 || a > 12 || b < 0) return undefined
  const s = Number(proof.slice(0, a))
  const nowS = nowMs / 1000
  if (!Number.isInteger(s) || Math.abs(nowS - s) > MAX_SKEW_S) return undefined
  const cert = checkCert(ca, caIdOf(ca), proof.slice(b + 1))
  if (!cert || cert.expiresS < nowS) return undefined
  const sig = Buffer.from(proof.slice(a + 1, b), 'base64url')
  if (sig.length !== 64 || !verify(null, message(s, xff, cert.node), cert.key, sig)) return undefined
  return cert.node
}

const caIds = new WeakMap<KeyObject, string>()
function caIdOf(ca: KeyObject): string {
  let id = caIds.get(ca)
  if (!id) caIds.set(ca, (id = rawPublicKey(ca).toString('base64url')))
  return id
}

/** A grant as the link carries it → an identity; undefined if malformed. */
export function decodePeerGrant(g: Partial<PeerGrant> | undefined): PeerIdentity | undefined {
  if (!g || typeof g.node !== 'string' || typeof g.cert !== 'string' || !B64_32.test(g.key ?? '') || !B64_32.test(g.ca ?? '')) return undefined
  try {
    return { node: g.node, cert: g.cert, key: privateKeyFromSeed(Buffer.from(g.key!, 'base64url')), ca: publicKeyFromRaw(Buffer.from(g.ca!, 'base64url')) }
  } catch {
    return undefined
  }
}

/** The fleet seed as DATA_DIR/peer.key holds it (32 random bytes, base64url) → bytes; undefined if malformed. */
export function decodePeerKey(text: string | undefined): Buffer | undefined {
  if (!text || !B64_32.test(text)) return undefined
  return Buffer.from(text, 'base64url')
}
