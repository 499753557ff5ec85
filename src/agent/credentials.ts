// The node credential: obtained once by spending a join token, kept in DATA_DIR (mode 0600), bound
// by the server to this node and site, and rotated before it expires. The join token itself is
// never stored. Over TLS the server's CA is pinned on first contact by the fingerprint the join
// token carries, saved as DATA_DIR/ca.crt and required from then on.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/fs.js'
import type { HttpClient } from '../lib/http-client.js'

export interface Credential { server: string; node: string; site: string; credential: string; issuedAt?: string; expiresAt?: string }

/** The CA to trust for an https server: saved from an earlier join, given by the operator, or pinned now. */
export async function trustedCa(opts: { dataDir: string; server: string; joinToken?: string; caFile?: string }): Promise<string | undefined> {
  if (!opts.server.startsWith('https:')) return undefined
  const saved = join(opts.dataDir, 'ca.crt')
  if (existsSync(saved)) return readFileSync(saved, 'utf8')
  let pem: string
  if (opts.caFile) pem = readFileSync(opts.caFile, 'utf8')
  else {
    const pin = opts.joinToken?.split('.')[3]
    if (!pin || !/^[0-9a-f]{64}$/i.test(pin)) throw new Error('the server uses TLS but the join token carries no CA fingerprint: use a token from "edgeplane token create --join", or pass --ca-file')
    // Only a first join fetches the CA: the HTTP client it needs is loaded then, not on every start.
    pem = await (await import('../lib/tls.js')).fetchPinnedCa(opts.server, pin)
  }
  writeFileAtomic(saved, pem, 0o644)
  return pem
}

export async function loadOrJoin(opts: { dataDir: string; http: () => Promise<HttpClient>; joinToken?: string; node: string; site: string; now: number }): Promise<Credential> {
  const path = join(opts.dataDir, 'credential.json')
  if (existsSync(path)) {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Credential
    if (c.node !== opts.node || c.site !== opts.site) {
      throw new Error(`${path} holds the credential of node "${c.node}" in site "${c.site}"; this agent is "${opts.node}" in "${opts.site}" (use another --data-dir)`)
    }
    return c
  }
  if (!opts.joinToken) throw new Error('this node has not joined yet: pass --join-token (from "edgeplane token create --join")')
  const c = await requestCredential({ ...opts, http: await opts.http(), joinToken: opts.joinToken })
  writeFileAtomic(path, JSON.stringify(c))
  return c
}

/** Spends one use of the join token for a credential of `node` in `site` (not saved anywhere). */
export async function requestCredential(opts: { http: HttpClient; joinToken: string; node: string; site: string; now: number }): Promise<Credential> {
  const body = (await opts.http.request('POST', '/v1/join', { node: opts.node, site: opts.site }, opts.joinToken)) as { credential: string; expiresAt?: string }
  return { server: opts.http.baseUrl, node: opts.node, site: opts.site, credential: body.credential, issuedAt: new Date(opts.now).toISOString(), ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}) }
}

/** True once two thirds of the credential's lifetime have passed. */
export function rotationDue(c: Credential, now: number): boolean {
  if (!c.expiresAt || !c.issuedAt) return false
  const start = Date.parse(c.issuedAt), end = Date.parse(c.expiresAt)
  return now >= start + ((end - start) * 2) / 3
}

export async function rotate(opts: { dataDir: string; http: HttpClient; current: Credential; now: number }): Promise<Credential> {
  const body = (await opts.http.request('POST', '/v1/credentials/rotate', {}, opts.current.credential)) as { credential: string; expiresAt: string }
  const next: Credential = { ...opts.current, credential: body.credential, issuedAt: new Date(opts.now).toISOString(), expiresAt: body.expiresAt }
  writeFileAtomic(join(opts.dataDir, 'credential.json'), JSON.stringify(next))
  return next
}
