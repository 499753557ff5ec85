// The node credential: obtained once by spending a join token, kept in DATA_DIR (mode 0600), and
// bound by the server to this node and site. The join token itself is never stored.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/fs.js'
import type { HttpClient } from '../lib/http-client.js'

export interface Credential { server: string; node: string; site: string; credential: string }

export async function loadOrJoin(opts: { dataDir: string; http: HttpClient; joinToken?: string; node: string; site: string }): Promise<Credential> {
  const path = join(opts.dataDir, 'credential.json')
  if (existsSync(path)) {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Credential
    if (c.node !== opts.node || c.site !== opts.site) {
      throw new Error(`${path} holds the credential of node "${c.node}" in site "${c.site}"; this agent is "${opts.node}" in "${opts.site}" (use another --data-dir)`)
    }
    return c
  }
  if (!opts.joinToken) throw new Error('this node has not joined yet: pass --join-token (from "edgeplane token create --join")')
  const res = await opts.http.request('POST', '/v1/join', { node: opts.node, site: opts.site }, opts.joinToken)
  const body = res as { credential: string }
  const c: Credential = { server: opts.http.baseUrl, node: opts.node, site: opts.site, credential: body.credential }
  writeFileAtomic(path, JSON.stringify(c))
  return c
}
