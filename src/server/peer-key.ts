// The fleet's gateway peer key (see src/agent/gateway/peer-proof.ts): made at first start, kept in
// DATA_DIR/peer.key (0600) beside the PKI, and handed to gateway nodes over the link. Servers that
// share a fleet must share this file, as they share the CA.
import { existsSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/fs.js'
import { decodePeerKey } from '../agent/gateway/peer-proof.js'

export function ensurePeerKey(dataDir: string): string {
  const path = join(dataDir, 'peer.key')
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim()
    if (!decodePeerKey(text)) throw new Error(`${path} is not a peer key (32 bytes, base64url); remove it to make a new one`)
    return text
  }
  const key = randomBytes(32).toString('base64url')
  writeFileAtomic(path, key, 0o600)
  return key
}
