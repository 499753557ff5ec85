// The proof a forwarding gateway attaches: its own key, certified by the fleet key; good only for
// the same x-forwarded-for within the allowed skew and while the certificate lasts; it names the
// gateway that made it, so one gateway's key cannot speak for another; anything malformed is no proof.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { decodePeerGrant, decodePeerKey, issuePeerCert, MAX_SKEW_S, PEER_CERT_LIFETIME_S, privateKeyFromSeed, signPeer, verifyPeer, type PeerIdentity } from '../../src/agent/gateway/peer-proof.js'
import { PeerGrants } from '../../src/server/link/peer-grants.js'
import { ManualClock } from '../../src/lib/clock.js'

const NOW = 1_800_000_000_000

function fleetOf(seed = randomBytes(32)) {
  const grants = new PeerGrants(seed, new ManualClock(NOW))
  return { grants, id: (node: string): PeerIdentity => decodePeerGrant(JSON.parse(grants.issue(node).json))! }
}

test('peer proof: verifies against the fleet key, names its gateway, only for its x-forwarded-for, within the skew', () => {
  const { id } = fleetOf()
  const a = id('gw-a')
  const p = signPeer(a, '10.1.2.3', NOW)
  assert.equal(verifyPeer(a.ca, p, '10.1.2.3', NOW), 'gw-a')
  assert.equal(verifyPeer(a.ca, p, '10.1.2.3', NOW + MAX_SKEW_S * 1000), 'gw-a')
  assert.equal(verifyPeer(a.ca, p, '10.1.2.3', NOW + (MAX_SKEW_S + 1) * 1000), undefined, 'too old')
  assert.equal(verifyPeer(a.ca, p, '10.1.2.4', NOW), undefined, 'another client address')
  assert.equal(verifyPeer(fleetOf().id('gw-z').ca, p, '10.1.2.3', NOW), undefined, 'another fleet')
  for (const bad of ['', '.', 'x.y', `${Math.floor(NOW / 1000)}.`, `${Math.floor(NOW / 1000)}.${'A'.repeat(86)}.${a.cert}`, `1e9.${p.split('.').slice(1).join('.')}`, `${p}x`]) {
    assert.equal(verifyPeer(a.ca, bad, '10.1.2.3', NOW), undefined, JSON.stringify(bad))
  }
})

test('peer proof: one gateway key cannot speak for another (issue 22): its signature under another certificate fails', () => {
  const { id } = fleetOf()
  const a = id('gw-a'), b = id('gw-b')
  // Gateway b, compromised, signs with its key but presents a's certificate to pass as a.
  const s = Math.floor(NOW / 1000)
  const asA = signPeer({ ...b, node: 'gw-a', cert: a.cert }, '10.0.0.1', NOW)
  assert.equal(verifyPeer(a.ca, asA, '10.0.0.1', NOW), undefined)
  // Nor can it mint a certificate of its own: only the fleet key signs them.
  const forgedCert = issuePeerCert(b.key, 'gw-a', b.key, s + 3600)
  assert.equal(verifyPeer(a.ca, signPeer({ ...b, node: 'gw-a', cert: forgedCert }, '10.0.0.1', NOW), '10.0.0.1', NOW), undefined)
  assert.equal(verifyPeer(a.ca, signPeer(b, '10.0.0.1', NOW), '10.0.0.1', NOW), 'gw-b', 'it still speaks as itself')
})

test('peer proof: an expired certificate proves nothing', () => {
  const seed = randomBytes(32)
  const { id } = fleetOf(seed)
  const a = id('gw-a')
  const later = NOW + (PEER_CERT_LIFETIME_S + 1) * 1000
  assert.equal(verifyPeer(a.ca, signPeer(a, '10.0.0.1', later), '10.0.0.1', later), undefined)
  const fleet = privateKeyFromSeed(seed)
  const shortLived = { ...a, cert: issuePeerCert(fleet, 'gw-a', a.key, Math.floor(NOW / 1000) - 1) }
  assert.equal(verifyPeer(a.ca, signPeer(shortLived, '10.0.0.1', NOW), '10.0.0.1', NOW), undefined)
})

test('peer key file: only 32 bytes in base64url are a fleet seed; grants must be whole', () => {
  const text = randomBytes(32).toString('base64url')
  assert.equal(decodePeerKey(text)?.length, 32)
  for (const bad of [undefined, '', text.slice(1), `${text}=`, text.replace(/.$/, '+')]) assert.equal(decodePeerKey(bad), undefined)
  const g = JSON.parse(fleetOf().grants.issue('gw-a').json)
  assert.ok(decodePeerGrant(g))
  for (const k of ['node', 'key', 'cert', 'ca']) assert.equal(decodePeerGrant({ ...g, [k]: undefined }), undefined, k)
})
