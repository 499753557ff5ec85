// The proof a forwarding gateway attaches: good only with the same key, for the same
// x-forwarded-for, within the allowed clock skew; anything malformed is simply not a proof.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { decodePeerKey, MAX_SKEW_S, signPeer, verifyPeer } from '../../src/agent/gateway/peer-proof.js'

test('peer proof: verifies with the key and the x-forwarded-for it was made for, within the skew', () => {
  const key = randomBytes(32)
  const now = 1_800_000_000_000
  const p = signPeer(key, '10.1.2.3', now)
  assert.match(p, /^\d+\.[A-Za-z0-9_-]{22}$/)
  assert.equal(verifyPeer(key, p, '10.1.2.3', now), true)
  assert.equal(verifyPeer(key, p, '10.1.2.3', now + MAX_SKEW_S * 1000), true)
  assert.equal(verifyPeer(key, p, '10.1.2.3', now + (MAX_SKEW_S + 1) * 1000), false, 'too old')
  assert.equal(verifyPeer(key, p, '10.1.2.4', now), false, 'another client address')
  assert.equal(verifyPeer(randomBytes(32), p, '10.1.2.3', now), false, 'another key')
  for (const bad of ['', '.', 'x.y', `${Math.floor(now / 1000)}.`, `${Math.floor(now / 1000)}.${'A'.repeat(40)}`, `1e9.${p.split('.')[1]}`, `${p}.x`]) {
    assert.equal(verifyPeer(key, bad, '10.1.2.3', now), false, JSON.stringify(bad))
  }
})

test('peer key: only 32 bytes in base64url are a key', () => {
  const text = randomBytes(32).toString('base64url')
  assert.equal(decodePeerKey(text)?.length, 32)
  for (const bad of [undefined, '', text.slice(1), `${text}=`, text.replace(/.$/, '+')]) assert.equal(decodePeerKey(bad), undefined)
})
