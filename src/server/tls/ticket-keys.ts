// TLS session tickets that outlive a restart. Node makes new ticket keys in every process, so after
// a restart every agent pays a full handshake (certificate sent, chain and name verified: the
// largest client cost of a 10,000-site reconnect storm). With the keys kept in DATA_DIR/pki, an
// agent resumes the session it had. TLS 1.3 resumption still runs a fresh ECDHE exchange
// (psk_dhe_ke), so a stolen ticket key does not expose recorded traffic; it is kept like the CA key.
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/fs.js'

/** Node's ticketKeys: 16 bytes of name, 16 of HMAC secret, 16 of AES key. */
const KEY_BYTES = 48
/** How long an issued ticket may be used to resume (a server restart after a day is a full handshake). */
const TICKET_LIFETIME_SECONDS = 24 * 3600
/**
 * Node's default session context is a hash of the process's argv, so a server restarted with other
 * arguments (another --listen, a new flag) refused every ticket of the one before.
 */
const SESSION_ID_CONTEXT = 'edgeplane-server'

/** The HTTPS server's options for tickets that outlive a restart. */
export function ticketOptions(dataDir: string): { ticketKeys: Buffer; sessionTimeout: number; sessionIdContext: string } {
  return { ticketKeys: ensureTicketKeys(dataDir), sessionTimeout: TICKET_LIFETIME_SECONDS, sessionIdContext: SESSION_ID_CONTEXT }
}

/** DATA_DIR/pki/ticket.key, created at the first start. A file of the wrong size is replaced. */
export function ensureTicketKeys(dataDir: string): Buffer {
  const file = join(dataDir, 'pki', 'ticket.key')
  if (existsSync(file)) {
    const keys = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
    if (keys.length === KEY_BYTES) return keys
  }
  const keys = randomBytes(KEY_BYTES)
  writeFileAtomic(file, keys.toString('base64') + '\n', 0o600)
  return keys
}
