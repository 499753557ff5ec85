// The columns of every kind, defined once: the server's Table answers (what `kubectl get` shows)
// and the CLI's `get` tables are both built from these, so they cannot disagree.
import type { App, Event, Instance, Node, Revision, Session, Site } from '../kinds/index.js'
import { getCondition, type Resource } from '../meta.js'
import { formatCpu, formatMemory } from '../quantity.js'
import { age, bytes, until } from './human.js'

export interface Column {
  /** Kubernetes style ("Last Seen"); tables print it upper-cased. */
  name: string
  /** OpenAPI type of the cell (every cell is a string here: a Table is for people). */
  type: 'string' | 'date'
  format?: 'name'
  description: string
  /** 0: always shown; 1: only with `-o wide`. */
  priority: 0 | 1
  cell: (o: Resource, now: number) => string
}

const col = (name: string, description: string, cell: Column['cell'], priority: 0 | 1 = 0, type: Column['type'] = 'string'): Column => ({ name, type, description, priority, cell })
const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'metadata.name', priority: 0, cell: (o) => o.metadata.name }
const AGE = col('Age', 'time since metadata.creationTimestamp', (o, now) => age(o.metadata.creationTimestamp, now), 0, 'date')
const cap = (c?: { cpu: number; memory: number }) => (c ? `${formatCpu(c.cpu)}/${formatMemory(c.memory)}` : '-')
const orDash = (v: string | number | undefined) => (v === undefined || v === '' ? '-' : String(v))

function nodeStatus(n: Node): string {
  const ready = getCondition(n.status?.conditions, 'Ready')
  return ready?.status === 'True' ? 'Ready' : ready ? `NotReady (${ready.reason})` : 'Unknown'
}

function linkState(n: Node): string {
  const link = n.status?.link
  if (!link) return '-'
  return link.state === 'Connected' ? 'Connected' : `Disconnected${link.reason ? ` (${link.reason})` : ''}`
}

/** A session app's size follows its pools, not spec.replicas. */
const appDesired = (a: App) => (a.spec.sessions ? a.status?.replicas ?? 0 : a.spec.replicas)

export const COLUMNS: Record<string, Column[]> = {
  Site: [
    NAME,
    col('Region', 'spec.region', (o) => (o as Site).spec.region),
    col('Provider', 'spec.provider', (o) => (o as Site).spec.provider),
    col('Tier', 'spec.tier: edge or central', (o) => (o as Site).spec.tier),
    col('Nodes', 'status.nodes', (o) => String((o as Site).status?.nodes ?? 0)),
    col('Ready', 'status.readyNodes', (o) => String((o as Site).status?.readyNodes ?? 0)),
    AGE,
    col('Geo', 'spec.geo (lat,lon)', (o) => { const g = (o as Site).spec.geo; return g ? `${g.lat},${g.lon}` : '-' }, 1),
    col('Capacity', 'status.allocatable of the ready nodes (cpu/memory)', (o) => cap((o as Site).status?.allocatable), 1),
    col('Gateway', 'the serving gateway (status.gateway), else spec.gateway', (o) => {
      const s = o as Site & { status?: { gateway?: { address?: string } } }
      return s.status?.gateway?.address ?? s.spec.gateway?.address ?? '-'
    }, 1),
  ],
  Node: [
    NAME,
    col('Site', 'spec.site', (o) => (o as Node).spec.site),
    col('Status', 'the Ready condition', (o) => nodeStatus(o as Node)),
    col('Link', 'status.link.state', (o) => linkState(o as Node)),
    col('Last Seen', 'the last message received on the link (status.link.lastSeen)', (o, now) => { const l = (o as Node).status?.link?.lastSeen; return l ? `${age(l, now)} ago` : '-' }),
    col('In', 'bytes received on the link', (o) => bytes((o as Node).status?.link?.bytesIn)),
    col('Out', 'bytes sent on the link', (o) => bytes((o as Node).status?.link?.bytesOut)),
    AGE,
    col('Address', 'spec.address', (o) => (o as Node).spec.address, 1),
    col('Capacity', 'status.allocatable (cpu/memory)', (o) => cap((o as Node).status?.allocatable), 1),
    col('Agent', 'status.agent.version', (o) => orDash((o as Node).status?.agent?.version), 1),
    col('Desired/Acked', 'desired document version sent / acked by the agent', (o) => { const l = (o as Node).status?.link; return `${orDash(l?.desiredVersion)}/${orDash(l?.ackedVersion)}` }, 1),
  ],
  App: [
    NAME,
    col('Desired', 'spec.replicas (or the session pools\' size)', (o) => { const a = o as App; return a.spec.sessions ? `${appDesired(a)} (pools)` : String(appDesired(a)) }),
    col('Ready', 'ready/desired replicas', (o) => { const a = o as App; return `${a.status?.readyReplicas ?? 0}/${appDesired(a)}` }),
    col('Up-to-date', 'status.updatedReplicas', (o) => String((o as App).status?.updatedReplicas ?? 0)),
    col('Available', 'status.availableReplicas', (o) => String((o as App).status?.availableReplicas ?? 0)),
    col('Sites', 'sites holding replicas', (o) => String((o as App).status?.sites?.length ?? 0)),
    col('Rollout', 'status.rollout.phase (Paused when spec.paused)', (o) => { const a = o as App; return a.spec.paused && a.status?.rollout?.phase !== 'Succeeded' ? 'Paused' : a.status?.rollout?.phase ?? '-' }),
    AGE,
    col('Revision', 'status.revision', (o) => orDash((o as App).status?.revision), 1),
    col('Last Good', 'status.lastGoodRevision', (o) => orDash((o as App).status?.lastGoodRevision), 1),
    col('Host', 'spec.traffic.host', (o) => orDash((o as App).spec.traffic?.host), 1),
    col('Scheduled', 'the Scheduled condition\'s message', (o) => orDash(getCondition((o as App).status?.conditions, 'Scheduled')?.message), 1),
  ],
  Revision: [
    NAME,
    col('App', 'spec.app', (o) => (o as unknown as Revision).spec.app),
    col('Number', 'spec.number: 1, 2, 3… per app', (o) => String((o as unknown as Revision).spec.number)),
    col('Runtime', 'spec.template.runtime', (o) => orDash((o as unknown as Revision).spec.template.runtime)),
    AGE,
    col('Hash', 'spec.revision: the template\'s content hash', (o) => (o as unknown as Revision).spec.revision, 1),
    col('Command', 'spec.template.command and args', (o) => { const t = (o as unknown as Revision).spec.template as { command?: string; args?: string[]; image?: string }; return orDash([t.image, t.command, ...(t.args ?? [])].filter(Boolean).join(' ')) }, 1),
  ],
  Instance: [
    NAME,
    col('App', 'spec.app', (o) => (o as Instance).spec.app),
    col('Site', 'spec.site', (o) => (o as Instance).spec.site),
    col('Node', 'spec.node', (o) => (o as Instance).spec.node),
    col('Phase', 'status.phase', (o) => (o as Instance).status?.phase ?? 'Pending'),
    col('Ready', 'status.ready', (o) => ((o as Instance).status?.ready ? 'true' : 'false')),
    col('Restarts', 'status.restarts', (o) => String((o as Instance).status?.restarts ?? 0)),
    AGE,
    col('Endpoints', 'status.endpoints (port name=address:port)', (o) => Object.entries((o as Instance).status?.endpoints ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-', 1),
    col('Pid', 'status.pid', (o) => orDash((o as Instance).status?.pid), 1),
    col('Revision', 'spec.revision', (o) => (o as Instance).spec.revision, 1),
  ],
  Session: [
    NAME,
    col('App', 'spec.app', (o) => (o as unknown as Session).spec.app),
    col('Site', 'spec.site', (o) => (o as unknown as Session).spec.site),
    col('Phase', 'status.phase', (o) => (o as unknown as Session).status?.phase ?? '-'),
    col('Expires', 'time left until status.expiresAt', (o, now) => { const s = (o as unknown as Session).status; return s?.phase === 'Active' ? until(s.expiresAt, now) : '-' }),
    AGE,
    col('Instance', 'spec.instance (and slot)', (o) => { const s = (o as unknown as Session).spec; return `${s.instance}#${s.slot}` }, 1),
    col('Endpoint', 'status.endpoint.url', (o) => orDash((o as unknown as Session).status?.endpoint.url), 1),
    col('Client', 'spec.clientIp or spec.location', (o) => { const s = (o as unknown as Session).spec; return s.clientIp ?? (s.location ? `${s.location.lat},${s.location.lon}` : '-') }, 1),
    col('Start', 'status.start: warm or cold', (o) => orDash((o as unknown as Session).status?.start), 1),
    col('Reason', 'status.reason', (o) => orDash((o as unknown as Session).status?.reason), 1),
  ],
  Event: [
    col('Last Seen', 'time since lastTimestamp', (o, now) => age((o as unknown as Event).lastTimestamp, now), 0, 'date'),
    col('Type', 'Normal or Warning', (o) => (o as unknown as Event).type),
    col('Reason', 'reason', (o) => (o as unknown as Event).reason),
    col('Object', 'involvedObject (kind/name)', (o) => { const i = (o as unknown as Event).involvedObject; return `${i.kind.toLowerCase()}/${i.name}` }),
    col('Message', 'message', (o) => (o as unknown as Event).message),
    col('Count', 'how many times it happened', (o) => String((o as unknown as Event).count), 1),
    { ...NAME, priority: 1 },
  ],
}

/** The generic fallback for a kind without its own columns. */
export const DEFAULT_COLUMNS: Column[] = [NAME, AGE]

export function columnsFor(kind: string): Column[] {
  return COLUMNS[kind] ?? DEFAULT_COLUMNS
}

/** The cells of one object; a column that cannot read its object shows "<error>", never throws. */
export function rowOf(columns: Column[], o: Resource, now: number): string[] {
  return columns.map((c) => {
    try { return c.cell(o, now) } catch { return '<error>' }
  })
}
