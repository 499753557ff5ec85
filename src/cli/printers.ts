// Table columns per kind, for `get` (and `-o wide`).
import type { App, Event, Instance, Node, Site } from '../api/kinds/index.js'
import { getCondition, type Resource } from '../api/meta.js'
import { formatCpu, formatMemory } from '../api/quantity.js'
import { age, bytes } from './output.js'

type Printer = { headers: string[]; wide: string[]; row: (o: Resource, now: number) => string[]; wideRow: (o: Resource, now: number) => string[] }

const cap = (c?: { cpu: number; memory: number }) => (c ? `${formatCpu(c.cpu)}/${formatMemory(c.memory)}` : '-')

export const PRINTERS: Record<string, Printer> = {
  Site: {
    headers: ['NAME', 'REGION', 'PROVIDER', 'TIER', 'NODES', 'READY', 'AGE'],
    wide: ['GEO', 'CAPACITY', 'GATEWAY'],
    row: (o, now) => {
      const s = o as Site
      return [s.metadata.name, s.spec.region, s.spec.provider, s.spec.tier, String(s.status?.nodes ?? 0), String(s.status?.readyNodes ?? 0), age(s.metadata.creationTimestamp, now)]
    },
    wideRow: (o) => {
      const s = o as Site
      return [s.spec.geo ? `${s.spec.geo.lat},${s.spec.geo.lon}` : '-', cap(s.status?.allocatable), s.spec.gateway?.address ?? '-']
    },
  },
  Node: {
    headers: ['NAME', 'SITE', 'STATUS', 'LINK', 'LAST SEEN', 'IN', 'OUT', 'AGE'],
    wide: ['ADDRESS', 'CAPACITY', 'AGENT', 'DESIRED/ACKED'],
    row: (o, now) => {
      const n = o as Node
      const ready = getCondition(n.status?.conditions, 'Ready')
      const status = ready?.status === 'True' ? 'Ready' : ready ? `NotReady (${ready.reason})` : 'Unknown'
      const link = n.status?.link
      return [n.metadata.name, n.spec.site, status, link ? (link.state === 'Connected' ? 'Connected' : `Disconnected${link.reason ? ` (${link.reason})` : ''}`) : '-',
        link?.lastSeen ? `${age(link.lastSeen, now)} ago` : '-', bytes(link?.bytesIn), bytes(link?.bytesOut), age(n.metadata.creationTimestamp, now)]
    },
    wideRow: (o) => {
      const n = o as Node
      return [n.spec.address, cap(n.status?.allocatable), n.status?.agent?.version ?? '-', `${n.status?.link?.desiredVersion ?? '-'}/${n.status?.link?.ackedVersion ?? '-'}`]
    },
  },
  App: {
    headers: ['NAME', 'DESIRED', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'SITES', 'ROLLOUT', 'AGE'],
    wide: ['REVISION', 'LAST GOOD', 'HOST', 'SCHEDULED'],
    row: (o, now) => {
      const a = o as App
      // A session app's size follows its pools, not spec.replicas.
      const desired = a.spec.sessions ? a.status?.replicas ?? 0 : a.spec.replicas
      return [a.metadata.name, a.spec.sessions ? `${desired} (pools)` : String(desired), `${a.status?.readyReplicas ?? 0}/${desired}`, String(a.status?.updatedReplicas ?? 0),
        String(a.status?.availableReplicas ?? 0), String(a.status?.sites?.length ?? 0), a.spec.paused && a.status?.rollout?.phase !== 'Succeeded' ? 'Paused' : a.status?.rollout?.phase ?? '-', age(a.metadata.creationTimestamp, now)]
    },
    wideRow: (o) => {
      const a = o as App
      return [a.status?.revision ?? '-', a.status?.lastGoodRevision ?? '-', a.spec.traffic?.host ?? '-', getCondition(a.status?.conditions, 'Scheduled')?.message ?? '-']
    },
  },
  Instance: {
    headers: ['NAME', 'APP', 'SITE', 'NODE', 'PHASE', 'READY', 'RESTARTS', 'AGE'],
    wide: ['ENDPOINTS', 'PID', 'REVISION'],
    row: (o, now) => {
      const i = o as Instance
      return [i.metadata.name, i.spec.app, i.spec.site, i.spec.node, i.status?.phase ?? 'Pending', i.status?.ready ? 'true' : 'false', String(i.status?.restarts ?? 0), age(i.metadata.creationTimestamp, now)]
    },
    wideRow: (o) => {
      const i = o as Instance
      return [Object.entries(i.status?.endpoints ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-', i.status?.pid ? String(i.status.pid) : '-', i.spec.revision]
    },
  },
  Event: {
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wide: ['COUNT'],
    row: (o, now) => {
      const e = o as unknown as Event
      return [age(e.lastTimestamp, now), e.type, e.reason, `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`, e.message]
    },
    wideRow: (o) => [String((o as unknown as Event).count)],
  },
}
