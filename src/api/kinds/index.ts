// The kind registry: every resource kind with its plural, scope, schema and semantic checks.
import type { TSchema } from 'typebox'
import { SiteSchema } from './site.js'
import { NodeSchema } from './node.js'
import { AppSchema, schedulingCauses, type App } from './app.js'
import { InstanceSchema } from './instance.js'
import { EventSchema } from './event.js'
import { TokenSchema } from './token.js'
import { RevisionSchema } from './revision.js'
import { SessionSchema } from './session.js'
import { parseCpu, parseMemory } from '../quantity.js'
import { runtimeCauses } from './template-runtime.js'
import type { Cause } from '../errors.js'
import type { Resource } from '../meta.js'

export * from './site.js'
export * from './node.js'
export * from './app.js'
export * from './instance.js'
export * from './event.js'
export * from './token.js'
export * from './revision.js'
export * from './session.js'
export type { Capacity, Geo } from './common.js'

export interface KindInfo {
  kind: string
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  schema: TSchema
  /** Internal kinds live in the store but are not served by the resource API. */
  internal?: boolean
  /** Whether the kind has a status subresource (written apart from spec). */
  hasStatus: boolean
  /** Served for reading (and delete) only: created by the server (e.g. sessions via POST /v1/sessions). */
  readOnly?: string
  /** Checks a schema cannot express; returns causes with field paths. */
  check?: (obj: Resource) => Cause[]
}

export const KINDS: KindInfo[] = [
  { kind: 'Site', plural: 'sites', singular: 'site', shortNames: ['st'], namespaced: false, schema: SiteSchema, hasStatus: true },
  { kind: 'Node', plural: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false, schema: NodeSchema, hasStatus: true },
  { kind: 'App', plural: 'apps', singular: 'app', shortNames: [], namespaced: true, schema: AppSchema, hasStatus: true, check: checkApp },
  { kind: 'Revision', plural: 'revisions', singular: 'revision', shortNames: ['rev'], namespaced: true, schema: RevisionSchema, hasStatus: false },
  { kind: 'Instance', plural: 'instances', singular: 'instance', shortNames: ['inst', 'in'], namespaced: true, schema: InstanceSchema, hasStatus: true },
  { kind: 'Session', plural: 'sessions', singular: 'session', shortNames: ['sess'], namespaced: true, schema: SessionSchema, hasStatus: true, readOnly: 'sessions are created with POST /v1/sessions (edgeplane session create) and ended with DELETE /v1/sessions/{id}' },
  { kind: 'Event', plural: 'events', singular: 'event', shortNames: ['ev'], namespaced: true, schema: EventSchema, hasStatus: false },
  { kind: 'Token', plural: 'tokens', singular: 'token', shortNames: [], namespaced: false, schema: TokenSchema, hasStatus: true, internal: true },
]

const byKind = new Map(KINDS.map((k) => [k.kind, k]))
const byAnyName = new Map<string, KindInfo>()
for (const k of KINDS) {
  if (k.internal) continue
  for (const n of [k.kind.toLowerCase(), k.plural, k.singular, ...k.shortNames]) byAnyName.set(n, k)
}

export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind)
}

/** Resolves what a user types (`app`, `apps`, `App`, `no`) to a public kind. */
export function resolveKind(name: string): KindInfo | undefined {
  return byAnyName.get(name.toLowerCase())
}

export function publicKinds(): KindInfo[] {
  return KINDS.filter((k) => !k.internal)
}

function checkApp(obj: Resource): Cause[] {
  const app = obj as App
  const causes: Cause[] = []
  const t = app.spec.template
  const ports = new Set<string>()
  for (const [i, p] of (t.ports ?? []).entries()) {
    if (ports.has(p.name)) causes.push({ field: `spec.template.ports[${i}].name`, reason: 'FieldValueDuplicate', message: `port name "${p.name}" is used twice` })
    ports.add(p.name)
  }
  for (const which of ['readiness', 'liveness'] as const) {
    const probe = t[which]
    if (!probe) continue
    const field = `spec.template.${which}`
    if (!!probe.http === !!probe.tcp) causes.push({ field, reason: 'FieldValueInvalid', message: 'set exactly one of http or tcp' })
    const port = probe.http?.port ?? probe.tcp?.port
    if (port && !ports.has(port)) causes.push({ field: `${field}.${probe.http ? 'http' : 'tcp'}.port`, reason: 'FieldValueNotFound', message: `port "${port}" is not declared in spec.template.ports` })
  }
  if (app.spec.traffic && !ports.has(app.spec.traffic.port)) {
    causes.push({ field: 'spec.traffic.port', reason: 'FieldValueNotFound', message: `port "${app.spec.traffic.port}" is not declared in spec.template.ports` })
  }
  for (const [res, parse] of [['cpu', parseCpu], ['memory', parseMemory]] as const) {
    const q = t.resources?.[res]
    if (q === undefined) continue
    try { parse(q, `spec.template.resources.${res}`) } catch (e) {
      causes.push({ field: `spec.template.resources.${res}`, reason: 'FieldValueInvalid', message: (e as Error).message.replace(/^[^:]+: /, '') })
    }
  }
  for (const [i, e] of (app.spec.placement?.siteSelector?.matchExpressions ?? []).entries()) {
    const needsValues = e.operator === 'In' || e.operator === 'NotIn'
    if (needsValues && !e.values?.length) causes.push({ field: `spec.placement.siteSelector.matchExpressions[${i}].values`, reason: 'FieldValueRequired', message: `operator ${e.operator} needs values` })
    if (!needsValues && e.values?.length) causes.push({ field: `spec.placement.siteSelector.matchExpressions[${i}].values`, reason: 'FieldValueForbidden', message: `operator ${e.operator} takes no values` })
  }
  causes.push(...runtimeCauses(t))
  causes.push(...schedulingCauses(app.spec))
  return causes
}
