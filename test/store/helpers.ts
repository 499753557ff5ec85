// Small helpers shared by the store tests: fixtures, typed-error assertions and a watch recorder
// that lets a test wait for events without sleeping (a timer only guards against a hang).
import assert from 'node:assert/strict'
import { ApiError, type ErrorCode } from '../../src/api/errors.js'
import { API_VERSION, type Resource } from '../../src/api/meta.js'
import type { Store, WatchEvent } from '../../src/store/types.js'

export interface AppSpec { replicas: number; template: { command: string; args?: string[]; env?: Record<string, string> } }
export interface AppStatus { phase?: string; replicas: number; readyReplicas: number; observedGeneration?: number }
export type App = Resource<AppSpec, AppStatus>

export function app(name: string, namespace = 'default', opts: { labels?: Record<string, string>; spec?: Partial<AppSpec>; status?: AppStatus } = {}): App {
  const obj: App = {
    apiVersion: API_VERSION,
    kind: 'App',
    metadata: { name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: { replicas: 1, template: { command: 'node', args: ['server.js'] }, ...opts.spec },
  }
  if (opts.status) obj.status = opts.status
  return obj
}

/** A cluster-scoped kind (no namespace). */
export function site(name: string, labels?: Record<string, string>): Resource {
  return { apiVersion: API_VERSION, kind: 'Site', metadata: { name, ...(labels ? { labels } : {}) }, spec: { region: 'eu-west', tier: 'edge' } }
}

export function rv(obj: Resource): number {
  const n = Number(obj.metadata.resourceVersion)
  assert.ok(Number.isInteger(n) && n > 0, `resourceVersion ${JSON.stringify(obj.metadata.resourceVersion)} is not a positive integer string`)
  return n
}

/** Awaits p and asserts it fails with an ApiError of the given code. */
export async function expectApiError(p: Promise<unknown>, code: ErrorCode): Promise<ApiError> {
  let resolved: unknown
  try {
    resolved = await p
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError ${code}, got ${String(err)}`)
    assert.equal(err.code, code, `expected ApiError ${code}, got ${err.code}: ${err.message}`)
    return err
  }
  assert.fail(`expected ApiError ${code}, but it resolved with ${JSON.stringify(resolved)}`)
}

/** Records watch events; until(n) resolves once n events arrived (fails after a guard timeout). */
export class Recorder {
  readonly events: WatchEvent[] = []
  closedWith: (Error | undefined)[] = []
  private waiters: { n: number; resolve: () => void }[] = []

  readonly onEvent = (ev: WatchEvent): void => {
    this.events.push(ev)
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length < w.n) return true
      w.resolve()
      return false
    })
  }

  readonly onClose = (err?: Error): void => { this.closedWith.push(err) }

  until(n: number, guardMs = 5000): Promise<void> {
    if (this.events.length >= n) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} events, got ${this.events.length}: ${this.summary().join(' ')}`)), guardMs)
      this.waiters.push({ n, resolve: () => { clearTimeout(timer); resolve() } })
    })
  }

  revisions(): number[] { return this.events.map((e) => e.revision) }
  /** e.g. "ADDED App/default/a@3" */
  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.kind}/${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}@${e.revision}`)
  }
}

export function assertStrictlyIncreasingByOne(revs: number[], from: number, msg = 'revisions'): void {
  assert.deepEqual(revs, revs.map((_, i) => from + i), `${msg}: expected ${from}..${from + revs.length - 1}, got ${revs.join(',')}`)
}

export async function revisionOf(store: Store): Promise<number> {
  const r = await store.revision()
  assert.ok(Number.isInteger(r) && r >= 0, `revision() returned ${r}`)
  return r
}
