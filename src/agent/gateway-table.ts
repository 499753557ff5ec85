// The gateway's view of where to send requests: the server's routes document for this site (kept on
// disk, so the gateway keeps serving while the server is unreachable), with the readiness of this
// node's own instances taken live from their supervisors rather than from the server's last word.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RoutesMessage } from '../api/link.js'
import { writeFileAtomic } from '../lib/fs.js'
import type { GatewayRoute, GatewayTable } from './gateway/types.js'
import { decodePeerGrant, type PeerGrant, type PeerIdentity } from './gateway/peer-proof.js'

export class AgentGatewayTable implements GatewayTable {
  private routes: RoutesMessage['routes'] = []
  private byHost = new Map<string, GatewayRoute>()
  private readonly path: string
  private readonly keyPath: string
  private peer: PeerIdentity | undefined
  private peerText = ''

  /** localReady: readiness of an instance on this node by id (namespace/name), undefined if not local. */
  constructor(dataDir: string, private localReady: (id: string) => boolean | undefined) {
    this.path = join(dataDir, 'routes.json')
    this.keyPath = join(dataDir, 'peer.key')
    if (existsSync(this.path)) {
      try { this.routes = JSON.parse(readFileSync(this.path, 'utf8')) } catch { this.routes = [] }
    }
    if (existsSync(this.keyPath)) {
      // A file from before per-gateway keys (the bare fleet key) does not parse: the next routes message replaces it.
      try { this.peerText = readFileSync(this.keyPath, 'utf8').trim(); this.peer = decodePeerGrant(JSON.parse(this.peerText)) } catch { this.peer = undefined }
    }
    this.refresh()
  }

  /** A new routes document from the server (and this gateway's peer key and certificate, kept for offline use too). */
  replace(routes: RoutesMessage['routes'], grant?: PeerGrant): void {
    this.routes = routes
    writeFileAtomic(this.path, JSON.stringify(routes))
    const text = grant ? JSON.stringify(grant) : ''
    const id = decodePeerGrant(grant)
    if (id && text !== this.peerText) {
      writeFileAtomic(this.keyPath, text, 0o600)
      this.peer = id
      this.peerText = text
    }
    this.refresh()
  }

  peerIdentity(): PeerIdentity | undefined {
    return this.peer
  }

  /** Recomputes the lookup map (after a routes document, or a local readiness change). */
  refresh(): void {
    const next = new Map<string, GatewayRoute>()
    for (const r of this.routes) {
      next.set(r.host.toLowerCase(), {
        host: r.host,
        endpoints: r.endpoints.map((e) => ({ ...e, ready: this.localReady(e.id) ?? e.ready })),
        fallbacks: r.fallbacks,
      })
    }
    this.byHost = next
  }

  lookup(host: string): GatewayRoute | undefined {
    return this.byHost.get(host)
  }

  size(): number {
    return this.byHost.size
  }
}
