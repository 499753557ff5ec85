// Gateway peer identities (see src/agent/gateway/peer-proof.ts): each gateway node gets a key of its
// own and a certificate for it signed with the fleet key (DATA_DIR/peer.key as an Ed25519 seed, so
// servers that share that file issue certificates every gateway accepts). Only nodes whose
// credential allows a gateway are given one; the hub renews it at half its life.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { Clock } from '../../lib/clock.js'
import { issuePeerCert, PEER_CERT_LIFETIME_S, privateKeyFromSeed, rawPublicKey, seedOf, type PeerGrant } from '../../agent/gateway/peer-proof.js'

export interface IssuedGrant { json: string; renewAt: number }

export class PeerGrants {
  private fleet: KeyObject
  private ca: string

  constructor(seed: Buffer, private clock: Clock, private lifetimeS = PEER_CERT_LIFETIME_S) {
    this.fleet = privateKeyFromSeed(seed)
    this.ca = rawPublicKey(this.fleet).toString('base64url')
  }

  /** A fresh key and certificate for `node`, as the routes message carries them. */
  issue(node: string): IssuedGrant {
    const now = this.clock.now()
    const { privateKey } = generateKeyPairSync('ed25519')
    const expiresS = Math.floor(now / 1000) + this.lifetimeS
    const grant: PeerGrant = { node, key: seedOf(privateKey).toString('base64url'), cert: issuePeerCert(this.fleet, node, privateKey, expiresS), ca: this.ca }
    return { json: JSON.stringify(grant), renewAt: now + (this.lifetimeS * 1000) / 2 }
  }

  /** The fleet's public key (what every gateway checks certificates against), base64url. */
  get publicKey(): string { return this.ca }
}
