// Failover state of nodes and sites at the request's `now`. A site or node NotReady for less than
// failover.afterSeconds is `down`: its replicas still count (it may be a short partition, and
// the agent keeps them running). Longer, it is `failed`: its replicas stop counting and are
// replaced elsewhere. Back Ready for less than returnAfterSeconds, it is `returning`: it takes no
// new replicas and its instances are not trusted to replace others yet (no flapping on a site
// that comes and goes). Without `now` nothing ever fails or returns (the behaviour before failover).
import type { Config } from './config.js'
import type { NodeInfo, SiteInfo } from './types.js'

export type HealthState = 'ready' | 'down' | 'failed' | 'returning'

export interface Health {
  state: HealthState
  /** ms in the state so far: NotReady for `down`/`failed`, Ready again for `returning`. */
  forMs?: number
  /** When the state changes by time alone (down → failed, returning → ready). */
  changesAt?: number
}

const READY: Health = { state: 'ready' }
const DOWN: Health = { state: 'down' }

export function nodeHealth(n: NodeInfo, cfg: Config): Health {
  return n.ready ? readyHealth(n.readySince, cfg) : notReadyHealth(n.notReadySince, cfg)
}

export function siteHealth(s: SiteInfo, nodes: readonly NodeInfo[], nodeStates: readonly Health[], cfg: Config): Health {
  if (nodes.some((n) => n.ready)) return readyHealth(s.readySince, cfg)
  const own = notReadyHealth(s.notReadySince, cfg)
  if (own.state === 'failed') return own
  // Without a site-level time, a site whose every node failed has failed too.
  if (nodeStates.length && nodeStates.every((h) => h.state === 'failed')) {
    return { state: 'failed', forMs: Math.min(...nodeStates.map((h) => h.forMs ?? 0)) }
  }
  return own
}

function notReadyHealth(since: number | undefined, cfg: Config): Health {
  if (cfg.now === undefined || since === undefined) return DOWN
  const forMs = Math.max(0, cfg.now - since)
  return forMs >= cfg.afterMs ? { state: 'failed', forMs } : { state: 'down', forMs, changesAt: since + cfg.afterMs }
}

function readyHealth(since: number | undefined, cfg: Config): Health {
  if (cfg.now === undefined || since === undefined) return READY
  const forMs = Math.max(0, cfg.now - since)
  return forMs >= cfg.returnMs ? READY : { state: 'returning', forMs, changesAt: since + cfg.returnMs }
}

/** "95s" */
export function seconds(ms: number | undefined): string {
  return `${Math.floor((ms ?? 0) / 1000)}s`
}
