// Credentials: the admin token (made at first start, handed over once through DATA_DIR/admin.token),
// join tokens (limited uses, expiry) and node credentials (bound to one node and its site).
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError, isApiError } from '../../api/errors.js'
import { API_VERSION } from '../../api/meta.js'
import type { Node, Token } from '../../api/kinds/index.js'
import type { Clock } from '../../lib/clock.js'
import type { Store } from '../../store/types.js'
import { Cache } from '../../store/cache.js'
import { mintToken, parseToken, secretMatches, type TokenType } from './token-format.js'
import { isRole, type Grant } from './roles.js'

export type Principal =
  /** An API token: what it may do is its role's (admin for tokens made before roles). */
  | { kind: 'admin'; id: string; grant: Grant }
  | { kind: 'node'; id: string; node: string; site: string; gateway: boolean }
  | { kind: 'join'; id: string }

export interface JoinTokenOptions { ttlSeconds?: number; maxUses?: number; description?: string; gateway?: boolean }

/** How a join is allowed to touch a node that already has credentials (see join()). */
export interface JoinProof {
  /** The node's current credential, proving the caller is that node. */
  credential?: string
}

export interface TokenServiceOptions {
  /** Appended to join tokens so agents can pin the server's CA on first contact. */
  caFingerprint?: string
  nodeCredentialTtlSeconds?: number
}

export class TokenService {
  private cache: Cache<Token> | undefined

  constructor(private store: Store, private clock: Clock, private opts: TokenServiceOptions = {}) {}

  /** Serves lookups from a watch-fed cache: no store read per request (revocations apply at once). */
  async startCache(): Promise<void> {
    this.cache = new Cache<Token>(this.store, 'Token')
    this.cache.on((ev) => {
      const t = ev.object
      if (t.spec.type !== 'node' || !t.spec.node) return
      if (ev.type === 'DELETED') this.credentialsOf(t.spec.node).delete(t.metadata.name)
      else this.credentialsOf(t.spec.node).add(t.metadata.name)
    })
    await this.cache.start()
  }

  stopCache(): void { this.cache?.stop() }

  /** Creates the admin token on first start and writes it to DATA_DIR/admin.token (mode 0600). */
  async ensureAdmin(dataDir: string): Promise<{ created: boolean; path: string }> {
    const path = join(dataDir, 'admin.token')
    const existing = await this.store.list<Token>('Token')
    if (existing.items.some((t) => t.spec.type === 'admin')) return { created: false, path }
    const token = await this.mint('admin', { description: 'created at first start' })
    if (!existsSync(path)) writeFileSync(path, token + '\n', { mode: 0o600 })
    return { created: true, path }
  }

  async createJoinToken(opts: JoinTokenOptions = {}): Promise<{ token: string; id: string; expiresAt?: string }> {
    const ttl = opts.ttlSeconds ?? 24 * 3600
    const expiresAt = ttl > 0 ? new Date(this.clock.now() + ttl * 1000).toISOString() : undefined
    const token = await this.mint('join', { expiresAt, maxUses: opts.maxUses, description: opts.description, ...(opts.gateway ? { gateway: true } : {}) })
    const pinned = this.opts.caFingerprint ? `${token}.${this.opts.caFingerprint}` : token
    return { token: pinned, id: parseToken(token).id, expiresAt }
  }

  /** An API token; with a TTL it expires (0 or none: it does not). */
  async createAdminToken(description?: string, ttlSeconds?: number, grant: Grant = { role: 'admin' }): Promise<{ token: string; expiresAt?: string }> {
    const expiresAt = ttlSeconds ? new Date(this.clock.now() + ttlSeconds * 1000).toISOString() : undefined
    const scope = grant.role === 'admin' ? {} : { role: grant.role, namespace: grant.namespace, apps: grant.apps }
    return { token: await this.mint('admin', { description, expiresAt, ...scope }), ...(expiresAt ? { expiresAt } : {}) }
  }

  private async mint(type: TokenType, spec: Partial<Token['spec']>): Promise<string> {
    const { token, id, hash } = mintToken(type)
    const obj: Token = {
      apiVersion: API_VERSION, kind: 'Token', metadata: { name: id },
      spec: { type, hash, ...stripUndefined(spec) }, status: { uses: 0 },
    }
    await this.store.create(obj)
    return token
  }

  /** Checks a bearer token; throws Unauthorized (unknown, wrong, malformed) or TokenExpired. */
  async authenticate(raw: string | undefined): Promise<Principal> {
    if (!raw) throw new ApiError('Unauthorized', 'authentication required: send "Authorization: Bearer <token>" (the admin token is in DATA_DIR/admin.token)')
    const parsed = parseToken(raw)
    const stored = this.cache ? this.cache.get(undefined, parsed.id) : await this.store.get<Token>('Token', undefined, parsed.id)
    if (!stored || stored.spec.type !== parsed.type || !secretMatches(parsed.secret, stored.spec.hash)) {
      throw new ApiError('Unauthorized', 'the token is not valid')
    }
    if (stored.spec.expiresAt && Date.parse(stored.spec.expiresAt) <= this.clock.now()) {
      throw new ApiError('TokenExpired', `the token expired at ${stored.spec.expiresAt}`)
    }
    switch (stored.spec.type) {
      case 'admin': {
        const role = isRole(stored.spec.role) ? stored.spec.role : 'admin'
        return { kind: 'admin', id: parsed.id, grant: { role, ...(stored.spec.namespace ? { namespace: stored.spec.namespace } : {}), ...(stored.spec.apps ? { apps: stored.spec.apps } : {}) } }
      }
      case 'join': return { kind: 'join', id: parsed.id }
      case 'node': return { kind: 'node', id: parsed.id, node: stored.spec.node!, site: stored.spec.site!, gateway: stored.spec.gateway === true }
    }
  }

  /**
   * Whether `node` is already someone: it has a credential that has not expired, or a Node object.
   * A join token alone must never take such a node over (it would revoke the real agent).
   */
  private async nodeTaken(node: string): Promise<{ site?: string } | undefined> {
    const now = this.clock.now()
    const ids = this.cache ? [...this.credentialsOf(node)] : (await this.store.list<Token>('Token')).items.filter((t) => t.spec.type === 'node' && t.spec.node === node).map((t) => t.metadata.name)
    for (const id of ids) {
      const t = this.cache?.get(undefined, id) ?? await this.store.get<Token>('Token', undefined, id)
      if (t && (!t.spec.expiresAt || Date.parse(t.spec.expiresAt) > now)) return { site: t.spec.site }
    }
    const n = await this.store.get<Node>('Node', undefined, node)
    return n ? { site: n.spec.site } : undefined
  }

  /**
   * Spends one use of a join token and issues a credential that speaks only for `node` in `site`.
   * A node that already exists (a live credential or a Node object) is refused unless the caller
   * proves it is that node with its current credential; then its old credentials stop working. An
   * admin re-provisions a node with reprovision() instead. Nothing is spent or written on refusal.
   */
  async join(joinToken: string, node: string, site: string, proof: JoinProof = {}): Promise<{ credential: string; expiresAt: string }> {
    const p = await this.authenticate(joinToken)
    if (p.kind !== 'join') throw new ApiError('Forbidden', 'a join token is required to join')
    const stored = this.cache?.get(undefined, p.id) ?? await this.store.get<Token>('Token', undefined, p.id)
    return this.underNodeLock(node, async () => {
      const taken = await this.nodeTaken(node)
      if (taken) {
        if (!proof.credential) {
          throw new ApiError('AlreadyExists', `node "${node}" has already joined${taken.site ? ` (site "${taken.site}")` : ''}: a join token cannot replace its credential. The agent proves it is that node with its current credential (header x-edgeplane-node-credential), or an admin re-provisions it (POST /v1/join with the admin token and "reprovision": true)`, { kind: 'Node', name: node })
        }
        const me = await this.authenticate(proof.credential).catch(() => undefined)
        if (me?.kind !== 'node' || me.node !== node || me.site !== site) throw new ApiError('Forbidden', `the credential sent in x-edgeplane-node-credential is not a current credential of node "${node}" in site "${site}"`)
      }
      await this.spendJoinTokenSerially(p.id)
      return this.replaceCredentials(node, site, `node credential, joined with ${p.id}`, stored?.spec.gateway === true)
    })
  }

  /** An admin gives `node` a fresh credential (the agent's data dir was lost, or it was compromised): its old ones stop working. */
  async reprovision(node: string, site: string, gateway: boolean): Promise<{ credential: string; expiresAt: string }> {
    return this.underNodeLock(node, async () => {
      const taken = await this.nodeTaken(node)
      if (taken?.site && taken.site !== site) throw new ApiError('Conflict', `node "${node}" belongs to site "${taken.site}", not "${site}"; delete the Node first to move it`, { kind: 'Node', name: node })
      return this.replaceCredentials(node, site, 'node credential, re-provisioned by an admin', gateway)
    })
  }

  private async replaceCredentials(node: string, site: string, description: string, gateway: boolean): Promise<{ credential: string; expiresAt: string }> {
    const old = this.cache
      ? [...this.credentialsOf(node)]
      : (await this.store.list<Token>('Token')).items.filter((t) => t.spec.type === 'node' && t.spec.node === node).map((t) => t.metadata.name)
    const issued = await this.issueNodeCredential(node, site, description, gateway)
    for (const id of old) await this.store.delete('Token', undefined, id).catch(() => undefined)
    return issued
  }

  /** Joins of one node run one at a time (two racing joins must not both see it as new). */
  private nodeLocks = new Map<string, Promise<unknown>>()
  private async underNodeLock<T>(node: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.nodeLocks.get(node) ?? Promise.resolve()
    const mine = prev.then(fn)
    const tail = mine.catch(() => undefined)
    this.nodeLocks.set(node, tail)
    void tail.then(() => { if (this.nodeLocks.get(node) === tail) this.nodeLocks.delete(node) })
    return mine
  }

  private async spendJoinTokenSerially(id: string): Promise<void> {
    // Uses of one join token are counted one at a time in this process (a fleet joining with one
    // token would otherwise storm on compare-and-swap conflicts); the CAS still guards other servers.
    const prev = this.joinLocks.get(id) ?? Promise.resolve()
    const mine = prev.then(() => this.spendJoinToken(id))
    const tail = mine.catch(() => undefined)
    this.joinLocks.set(id, tail)
    void tail.then(() => { if (this.joinLocks.get(id) === tail) this.joinLocks.delete(id) })
    await mine
  }

  private joinLocks = new Map<string, Promise<unknown>>()
  /** node → ids of its credentials: from the cache, and at once for the ones minted here. */
  private byNode = new Map<string, Set<string>>()

  private credentialsOf(node: string): Set<string> {
    let set = this.byNode.get(node)
    if (!set) this.byNode.set(node, (set = new Set()))
    return set
  }

  private async spendJoinToken(id: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const t = await this.store.get<Token>('Token', undefined, id)
      if (!t) throw new ApiError('Unauthorized', 'the token is not valid')
      const uses = t.status?.uses ?? 0
      if (t.spec.maxUses !== undefined && uses >= t.spec.maxUses) {
        throw new ApiError('TokenExhausted', `the join token has been used ${uses} of ${t.spec.maxUses} allowed times; create a new one with "edgeplane token create --join"`)
      }
      try {
        await this.store.update({ ...t, status: { uses: uses + 1, lastUsed: new Date(this.clock.now()).toISOString() } }, { subresource: 'status' })
        break
      } catch (err) {
        if (!isApiError(err, 'Conflict') || attempt > 20) throw err
      }
    }
  }

  private async issueNodeCredential(node: string, site: string, description: string, gateway: boolean): Promise<{ credential: string; expiresAt: string }> {
    const expiresAt = new Date(this.clock.now() + (this.opts.nodeCredentialTtlSeconds ?? 30 * 86400) * 1000).toISOString()
    const credential = await this.mint('node', { node, site, expiresAt, description, ...(gateway ? { gateway: true } : {}) })
    // Known to the next join of this node before the cache hears of it.
    if (this.cache) this.credentialsOf(node).add(parseToken(credential).id)
    return { credential, expiresAt }
  }

  /**
   * A fresh credential for the same node; the old one keeps working for a short overlap so an agent
   * that crashes before saving the new one is not locked out.
   */
  async rotate(p: Extract<Principal, { kind: 'node' }>, overlapSeconds = 600): Promise<{ credential: string; expiresAt: string }> {
    const issued = await this.issueNodeCredential(p.node, p.site, 'node credential, rotated', p.gateway)
    const old = await this.store.get<Token>('Token', undefined, p.id)
    if (old) {
      const cutoff = new Date(this.clock.now() + overlapSeconds * 1000).toISOString()
      if (!old.spec.expiresAt || old.spec.expiresAt > cutoff) await this.store.update({ ...old, spec: { ...old.spec, expiresAt: cutoff } }).catch(() => undefined)
    }
    return issued
  }

  async listTokens(): Promise<Token[]> {
    return (await this.store.list<Token>('Token')).items
  }

  async revoke(id: string): Promise<void> {
    await this.store.delete('Token', undefined, id)
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
