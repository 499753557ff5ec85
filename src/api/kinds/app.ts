import { Type, StringEnum, Strict, ResourcesSchema, ConditionSchema, StringMap, envelope, type Static } from './common.js'
import { TIERS } from './site.js'
import type { ObjectMeta } from '../meta.js'

export const PORT_NAME_PATTERN = '^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$'

const ProbeSchema = Type.Object({
  http: Type.Optional(Type.Object({
    path: Type.String({ default: '/', pattern: '^/' }),
    port: Type.String({ pattern: PORT_NAME_PATTERN, description: 'a port name of the template' }),
  }, Strict)),
  tcp: Type.Optional(Type.Object({ port: Type.String({ pattern: PORT_NAME_PATTERN }) }, Strict)),
  initialDelaySeconds: Type.Number({ minimum: 0, default: 0 }),
  periodSeconds: Type.Number({ exclusiveMinimum: 0, default: 5 }),
  timeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 1 }),
  failureThreshold: Type.Integer({ minimum: 1, default: 3 }),
  successThreshold: Type.Integer({ minimum: 1, default: 1 }),
}, Strict)

export const TemplateSchema = Type.Object({
  runtime: StringEnum(['process'] as const, { default: 'process' }),
  command: Type.String({ minLength: 1 }),
  args: Type.Optional(Type.Array(Type.String())),
  env: Type.Optional(StringMap),
  workingDir: Type.Optional(Type.String({ description: 'relative paths resolve against the agent\'s working directory' })),
  ports: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ pattern: PORT_NAME_PATTERN }),
    protocol: StringEnum(['tcp', 'udp'] as const, { default: 'tcp' }),
  }, Strict), { maxItems: 16 })),
  resources: Type.Optional(ResourcesSchema),
  readiness: Type.Optional(ProbeSchema),
  liveness: Type.Optional(ProbeSchema),
  stopGracePeriodSeconds: Type.Number({ minimum: 0, default: 10 }),
}, Strict)

const SelectorSchema = Type.Object({
  matchLabels: Type.Optional(StringMap),
  matchExpressions: Type.Optional(Type.Array(Type.Object({
    key: Type.String({ minLength: 1 }),
    operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const),
    values: Type.Optional(Type.Array(Type.String())),
  }, Strict))),
}, Strict)

export const SPREAD_KEYS = ['site', 'region', 'provider'] as const

export const PlacementSchema = Type.Object({
  siteSelector: Type.Optional(SelectorSchema),
  regions: Type.Optional(Type.Array(Type.String())),
  providers: Type.Optional(Type.Array(Type.String())),
  tiers: Type.Optional(Type.Array(StringEnum(TIERS))),
  spread: Type.Optional(Type.Object({ by: StringEnum(SPREAD_KEYS, { default: 'site' }) }, Strict)),
  maxPerSite: Type.Optional(Type.Integer({ minimum: 1 })),
}, Strict)

const IntOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\d{1,3}%$' })], { description: 'a count, or a percentage like "25%"' })

export const RolloutSchema = Type.Object({
  /** The first wave: sites by name and/or label. Default: the first site (by name). */
  canary: Type.Optional(Type.Object({
    sites: Type.Optional(Type.Array(Type.String())),
    selector: Type.Optional(SelectorSchema),
  }, Strict)),
  /** After the canary, cumulative percentages of the app's sites, e.g. [10, 50, 100]. */
  waves: Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { default: [100], minItems: 1, maxItems: 20 }),
  /** Instances of a site that may be unavailable at once while it updates. */
  maxUnavailable: Type.Optional(IntOrPercent),
  /** Extra instances a site may run while it updates (new started before old stop). */
  maxSurge: Type.Integer({ minimum: 0, default: 1 }),
  /** Sites updating at the same time. */
  maxConcurrentSites: Type.Integer({ minimum: 1, default: 10 }),
  /** How long an updated site must stay healthy before the rollout counts it done. */
  soakSeconds: Type.Number({ minimum: 0, default: 10 }),
  /** What makes a site fail the health gate. */
  gate: Type.Object({
    /** Restarts of an updated instance beyond this (a crash loop) fail the gate. */
    maxRestarts: Type.Integer({ minimum: 0, default: 2 }),
    /** An updated site not fully ready within this fails the gate (failing probes). */
    readyTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 120 }),
    /** Gateway-reported error rate (0–1) above this fails the gate. */
    maxErrorRate: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
  }, { ...Strict, default: {} }),
  /** On a failed gate: roll back to the last good revision (true) or pause (false). */
  autoRollback: Type.Boolean({ default: true }),
  /** Sites whose nodes are all down: skip them (they converge when back) or count them as failures. */
  offlineSites: StringEnum(['skip', 'fail'] as const, { default: 'skip' }),
  /** Revisions kept for undo. */
  revisionHistoryLimit: Type.Integer({ minimum: 1, default: 10 }),
}, Strict)

export const SessionPoolSchema = Type.Object({
  /** Sessions one instance hosts at once. */
  slotsPerInstance: Type.Integer({ minimum: 1, maximum: 10000, default: 1 }),
  /** Free slots kept ready (instances pre-started) in each site; 0 scales idle sites to zero. */
  warmPerSite: Type.Integer({ minimum: 0, default: 1 }),
  /** Instances per site at most. */
  maxPerSite: Type.Integer({ minimum: 1, default: 10 }),
  /** Session lifetime when the caller asks for none, and the most it may ask for. */
  defaultTtlSeconds: Type.Integer({ minimum: 1, default: 300 }),
  maxTtlSeconds: Type.Integer({ minimum: 1, default: 86400 }),
  /** An idle instance beyond the warm pool stops after this long. */
  scaleDownAfterSeconds: Type.Number({ minimum: 0, default: 30 }),
  /** The scheme of the endpoint URL handed to users (ws for a WebSocket game server). */
  urlScheme: StringEnum(['http', 'https', 'ws', 'wss'] as const, { default: 'http' }),
}, Strict)

export const AppSpecSchema = Type.Object({
  replicas: Type.Integer({ minimum: 0, maximum: 100000, default: 1 }),
  template: TemplateSchema,
  placement: Type.Optional(PlacementSchema),
  traffic: Type.Optional(Type.Object({
    host: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }),
    port: Type.String({ pattern: PORT_NAME_PATTERN }),
  }, Strict)),
  rollout: Type.Optional(RolloutSchema),
  /** On-demand instances for end users (sessions): pools per site replace spec.replicas. */
  sessions: Type.Optional(SessionPoolSchema),
  /** A paused rollout starts no further sites (those under way finish). */
  paused: Type.Optional(Type.Boolean()),
}, Strict)

export const ROLLOUT_PHASES = ['Progressing', 'Paused', 'Succeeded', 'Failed', 'RolledBack'] as const
export const WAVE_STATES = ['Pending', 'Updating', 'Soaking', 'Done', 'Failed', 'Skipped'] as const

export const RolloutStatusSchema = Type.Object({
  /** The revision being rolled out. */
  revision: Type.String(),
  /** The last good revision it replaces (none on a first deployment). */
  from: Type.Optional(Type.String()),
  phase: StringEnum(ROLLOUT_PHASES),
  message: Type.Optional(Type.String()),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  wave: Type.Integer({ minimum: 0 }),
  waves: Type.Array(Type.Object({
    name: Type.String(),
    sites: Type.Array(Type.Object({
      site: Type.String(),
      state: StringEnum(WAVE_STATES),
      /** When the site started updating, and when it became fully updated and ready. */
      startedAt: Type.Optional(Type.String()),
      readyAt: Type.Optional(Type.String()),
      message: Type.Optional(Type.String()),
    }, Strict)),
  }, Strict)),
}, Strict)

export const AppStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  /** The revision of spec.template. */
  revision: Type.Optional(Type.String()),
  /** The last revision that finished a rollout: what a failed rollout rolls back to. */
  lastGoodRevision: Type.Optional(Type.String()),
  replicas: Type.Integer({ minimum: 0 }),
  readyReplicas: Type.Integer({ minimum: 0 }),
  /** Instances of the current revision. */
  updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Ready instances of the current revision. */
  availableReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  sites: Type.Optional(Type.Array(Type.Object({
    site: Type.String(),
    replicas: Type.Integer(),
    ready: Type.Integer(),
    /** Instances of the current revision in this site. */
    updated: Type.Optional(Type.Integer()),
    /** The revision this site is being driven to (absent: it keeps what it runs). */
    revision: Type.Optional(Type.String()),
  }, Strict))),
  revisions: Type.Optional(Type.Array(Type.Object({
    revision: Type.String(),
    number: Type.Optional(Type.Integer()),
    replicas: Type.Integer(),
    ready: Type.Integer(),
  }, Strict))),
  rollout: Type.Optional(RolloutStatusSchema),
}, Strict)

export const AppSchema = envelope('App', AppSpecSchema, AppStatusSchema)
export type AppSpec = Static<typeof AppSpecSchema>
export type AppStatus = Static<typeof AppStatusSchema>
export type Template = Static<typeof TemplateSchema>
export type Probe = Static<typeof ProbeSchema>
export type Placement = Static<typeof PlacementSchema>
export type Rollout = Static<typeof RolloutSchema>
export type SessionPool = Static<typeof SessionPoolSchema>
export type RolloutStatus = Static<typeof RolloutStatusSchema>
export interface App { apiVersion: string; kind: 'App'; metadata: ObjectMeta; spec: AppSpec; status?: AppStatus }
