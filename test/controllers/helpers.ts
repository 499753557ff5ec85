// A small in-memory fleet for controller and link tests: a memory store on a ManualClock, started
// caches, builders for Sites, Nodes, Apps and Instances, and settle(), which waits for controller
// work (work queues and fire-and-forget writes such as events) by draining the event loop's
// immediate queue; nothing here sleeps.
import type { TestContext } from 'node:test'
import type { App, AppSpec, Event, Instance, InstanceStatus, Node, Site, Template } from '../../src/api/kinds/index.js'
import { API_VERSION, type Condition } from '../../src/api/meta.js'
import { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/log.js'
import { Cache } from '../../src/store/cache.js'
import { openStore } from '../../src/store/open.js'
import type { Store } from '../../src/store/types.js'
import { EventRecorder } from '../../src/controllers/events.js'
import type { WorkQueue } from '../../src/controllers/runtime/work-queue.js'

export const log = createLogger('test', 'silent')
export const Mi = 1024 ** 2
export const Gi = 1024 ** 3

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * Waits until the queues are idle and the store's revision stops moving across a few turns of the
 * event loop (the memory store resolves through microtasks only, so one turn flushes a write).
 */
export async function settle(store: Store, queues: WorkQueue[] = []): Promise<void> {
  let last = -1
  let quiet = 0
  for (let i = 0; i < 500; i++) {
    for (const q of queues) await q.idle()
    await tick()
    const rev = await store.revision()
    const busy = queues.some((q) => q.length > 0)
    if (rev === last && !busy) {
      if (++quiet >= 3) return
    } else {
      quiet = 0
      last = rev
    }
  }
  throw new Error('settle: controllers did not go quiet')
}

export interface Fleet {
  store: Store
  clock: ManualClock
  events: EventRecorder
  apps: Cache<App>
  sites: Cache<Site>
  nodes: Cache<Node>
  instances: Cache<Instance>
}

export async function fleet(t: TestContext): Promise<Fleet> {
  const clock = new ManualClock()
  const store = openStore({ driver: 'memory' }, { clock })
  const apps = new Cache<App>(store, 'App')
  const sites = new Cache<Site>(store, 'Site')
  const nodes = new Cache<Node>(store, 'Node')
  const instances = new Cache<Instance>(store, 'Instance')
  await Promise.all([apps.start(), sites.start(), nodes.start(), instances.start()])
  const events = new EventRecorder({ store, clock, log, component: 'test' })
  t.after(async () => {
    for (const c of [apps, sites, nodes, instances]) c.stop()
    events.stop()
    await store.close()
  })
  return { store, clock, events, apps, sites, nodes, instances }
}

export function siteObj(name: string, over: Partial<Site['spec']> = {}, labels: Record<string, string> = {}): Site {
  return { apiVersion: API_VERSION, kind: 'Site', metadata: { name, labels }, spec: { region: 'eu', provider: 'own', tier: 'edge', ...over } }
}

export const READY: Condition = { type: 'Ready', status: 'True', reason: 'AgentConnected', lastTransitionTime: '2026-01-01T00:00:00.000Z' }

/** A Node; ready unless told otherwise, 4 cores and 8Gi allocatable. */
export function nodeObj(name: string, site: string, opts: { ready?: boolean; cpu?: number; memory?: number; status?: boolean } = {}): Node {
  const { ready = true, cpu = 4000, memory = 8 * Gi, status = true } = opts
  const n: Node = { apiVersion: API_VERSION, kind: 'Node', metadata: { name, labels: { 'edgeplane.io/site': site } }, spec: { site, address: '127.0.0.1' } }
  if (status) {
    n.status = {
      capacity: { cpu, memory }, allocatable: { cpu, memory },
      conditions: [ready ? READY : { type: 'Ready', status: 'False', reason: 'LinkClosed', lastTransitionTime: '2026-01-01T00:00:00.000Z' }],
    }
  }
  return n
}

export function template(over: Partial<Template> = {}): Template {
  return { runtime: 'process', command: 'web', stopGracePeriodSeconds: 10, resources: { cpu: '100m', memory: '128Mi' }, ...over }
}

export function appObj(name: string, spec: Partial<AppSpec> = {}, namespace = 'default'): App {
  return { apiVersion: API_VERSION, kind: 'App', metadata: { name, namespace }, spec: { replicas: 1, template: template(), ...spec } }
}

export function instanceObj(name: string, node: string, site: string, over: Partial<Instance['spec']> = {}, namespace = 'default'): Instance {
  return {
    apiVersion: API_VERSION, kind: 'Instance', metadata: { name, namespace },
    spec: { app: 'web', revision: 'r1', node, site, template: template(), ...over },
  }
}

export function runningStatus(i: Instance, over: Partial<InstanceStatus> = {}): InstanceStatus {
  return { phase: 'Running', ready: true, restarts: 0, node: i.spec.node, site: i.spec.site, endpoints: {}, ...over }
}

/** Marks an instance ready the way the status writer would (status subresource only). */
export async function markReady(store: Store, i: Instance, ready = true): Promise<void> {
  const cur = await store.get<Instance>('Instance', i.metadata.namespace, i.metadata.name)
  if (!cur) throw new Error(`instance ${i.metadata.name} is gone`)
  await store.update({ ...cur, status: runningStatus(cur, { ready, phase: ready ? 'Running' : 'Starting' }) }, { subresource: 'status' })
}

export async function eventsOf(store: Store, name?: string): Promise<(Event & { kind: 'Event' })[]> {
  const { items } = await store.list<Event & { kind: 'Event' }>('Event')
  return items.filter((e) => name === undefined || e.involvedObject.name === name)
}
