// What changes when several servers share one database (a store with leases, i.e. PostgreSQL):
// link presence is shared (SharedLinks), and the controllers run only on the elected leader, writing
// through a store fenced by its lease epoch. On a store of its own (SQLite, memory) a server is
// alone: it runs the controllers at once, for as long as it runs, with its own link view.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { LinkView } from '../../controllers/node-lifecycle.js'
import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import { LogStore } from '../../store/log-store.js'
import type { Store } from '../../store/types.js'
import { LeaderElection } from './leader.js'
import { SharedLinks } from './shared-links.js'

export interface Replication {
  /** Which nodes are connected, to any server. */
  links: LinkView
  /** The store controllers write through. */
  controllerStore: Store
  /** Runs start() now (alone) or each time this server is elected; the result is stopped when it is deposed. */
  runControllers(start: () => { stop(): void }): void
  readonly isLeader: boolean
  readonly server: string
  stop(): Promise<void>
}

export function startReplication(o: { store: Store; hub: LinkView; clock: Clock; log: Logger; server?: string }): Replication {
  const server = o.server ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  const leases = o.store.leases
  if (!leases || !(o.store instanceof LogStore)) {
    return {
      links: o.hub, controllerStore: o.store, isLeader: true, server,
      runControllers(start) { const running = start(); this.stop = async () => running.stop() },
      async stop() {},
    }
  }
  const links = new SharedLinks({ local: o.hub, leases, server, clock: o.clock, log: o.log })
  links.start()
  let start: (() => { stop(): void }) | undefined
  let running: { stop(): void } | undefined
  const election: LeaderElection = new LeaderElection({
    leases, server, clock: o.clock, log: o.log,
    onElected: () => { running = start?.() },
    onDeposed: () => { running?.stop(); running = undefined },
  })
  return {
    links, server,
    controllerStore: o.store.withFence(() => election.fence()),
    get isLeader() { return election.isLeader },
    runControllers(fn) { start = fn; election.start() },
    async stop() {
      links.stop()
      await election.stop()
    },
  }
}
