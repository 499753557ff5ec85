import { Type, StringEnum, Strict, Quantity, ConditionSchema, StringMap, envelope, type Static } from './common.js'
import { TIERS } from './site.js'
import type { ObjectMeta } from '../meta.js'
import type { Cause } from '../errors.js'

export const PORT_NAME_PATTERN = '^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$'

export const RUNTIMES = ['process', 'container'] as const

const TemplateResourcesSchema = Type.Object({
  cpu: Type.Optional(Quantity),
  memory: Type.Optional(Quantity),
  /** container only: the most processes/threads it may have. */
  pids: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
}, Strict)

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
  runtime: StringEnum(RUNTIMES, { default: 'process' }),
  /** container: an OCI image, tag or @sha256 digest (a tag is pinned to a digest in the Revision). */
  image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  /** process: the program (required); container: overrides the image ENTRYPOINT. */
  command: Type.Optional(Type.String({ minLength: 1 })),
  /** container: replaces the image CMD. */
  args: Type.Optional(Type.Array(Type.String())),
  env: Type.Optional(StringMap),
  workingDir: Type.Optional(Type.String({ description: 'process: relative paths resolve against the agent\'s working directory; container: a path in the image' })),
  ports: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ pattern: PORT_NAME_PATTERN }),
    protocol: StringEnum(['tcp', 'udp'] as const, { default: 'tcp' }),
    /** container only: the agent-allocated host port is published to this port (else host networking). */
    containerPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  }, Strict), { maxItems: 16 })),
  /** Placement for both runtimes; enforced as limits for containers (memory, cpu quota, pids). */
  resources: Type.Optional(TemplateResourcesSchema),
  /** container only: the image's filesystem is mounted read-only (volumes stay writable). */
  readOnlyRootFilesystem: Type.Optional(Type.Boolean()),
  /** container only: emptyDir-like scratch space (tmpfs of sizeLimit), gone with the container. */
  volumes: Type.Optional(Type.Array(Type.Object({
    name: Type.String({ pattern: PORT_NAME_PATTERN }),
    mountPath: Type.String({ pattern: '^/', maxLength: 1024 }),
    sizeLimit: Type.Optional(Quantity),
  }, Strict), { maxItems: 16 })),
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

export const DIVISION_MODES = ['fixed', 'weighted', 'capacity', 'demand'] as const

/**
 * Defaults of the scheduling fields, in one place: the schema fills them in on admission and the
 * scheduler applies the same ones to apps that never went through admission (tests, imports).
 */
export const PLACEMENT_DEFAULTS = {
  division: 'fixed',
  failover: { afterSeconds: 60, returnAfterSeconds: 120, pinned: false },
  scoring: { capacity: 1, distance: 2, cost: 1, spread: 1 },
  preemption: { maxPerHour: 10 },
} as const
export const AUTOSCALE_DEFAULTS = { scaleDownDelaySeconds: 60 } as const
const D = PLACEMENT_DEFAULTS

const ScoreWeight = (description: string, def: number) => Type.Optional(Type.Number({ minimum: 0, maximum: 100, default: def, description }))

export const PlacementSchema = Type.Object({
  siteSelector: Type.Optional(SelectorSchema),
  regions: Type.Optional(Type.Array(Type.String())),
  providers: Type.Optional(Type.Array(Type.String())),
  tiers: Type.Optional(Type.Array(StringEnum(TIERS))),
  spread: Type.Optional(Type.Object({ by: StringEnum(SPREAD_KEYS, { default: 'site' }) }, Strict)),
  maxPerSite: Type.Optional(Type.Integer({ minimum: 1 })),
  /** How replicas are divided across the sites that qualify. */
  division: Type.Optional(Type.Object({
    mode: Type.Optional(StringEnum(DIVISION_MODES, {
      default: D.division,
      description: 'fixed: even spread by spread.by; weighted: by weights; capacity: by free capacity; demand: by demand near each site',
    })),
    /** For mode weighted: a site takes the weight of its most specific entry (site, then more keys, then the first); sites matching none get nothing. */
    weights: Type.Optional(Type.Array(Type.Object({
      site: Type.Optional(Type.String({ minLength: 1 })),
      region: Type.Optional(Type.String({ minLength: 1 })),
      provider: Type.Optional(Type.String({ minLength: 1 })),
      weight: Type.Number({ minimum: 0 }),
    }, Strict), { maxItems: 1000 })),
  }, Strict)),
  /** Replacing replicas on sites (or nodes) that stay NotReady. */
  failover: Type.Optional(Type.Object({
    afterSeconds: Type.Optional(Type.Number({ minimum: 0, default: D.failover.afterSeconds, description: 'NotReady this long: replicas there stop counting and are replaced elsewhere' })),
    returnAfterSeconds: Type.Optional(Type.Number({ minimum: 0, default: D.failover.returnAfterSeconds, description: 'a recovered site takes new replicas (and is trusted again) only after this long Ready' })),
    pinned: Type.Optional(Type.Boolean({ default: D.failover.pinned, description: 'keep replicas where they are through a partition: no replacements' })),
  }, Strict)),
  /** Relative weights of the site scores (0 turns one off). */
  scoring: Type.Optional(Type.Object({
    capacity: ScoreWeight('free capacity of the site', D.scoring.capacity),
    distance: ScoreWeight('closeness to the demand', D.scoring.distance),
    cost: ScoreWeight('cheapness (pricePerCpuHour)', D.scoring.cost),
    spread: ScoreWeight('regions and providers holding few replicas of the app', D.scoring.spread),
  }, Strict)),
  /** Taking capacity from lower-priority apps when no site has room. */
  preemption: Type.Optional(Type.Object({
    maxPerHour: Type.Optional(Type.Integer({ minimum: 0, default: D.preemption.maxPerHour, description: 'instances of other apps this app may preempt per hour (0: never)' })),
  }, Strict)),
}, Strict)

export const AutoscaleSchema = Type.Object({
  min: Type.Integer({ minimum: 0, maximum: 100000 }),
  max: Type.Integer({ minimum: 1, maximum: 100000 }),
  targetPerReplica: Type.Object({
    requestsPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    concurrentConnections: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  }, Strict),
  scaleDownDelaySeconds: Type.Optional(Type.Number({ minimum: 0, default: AUTOSCALE_DEFAULTS.scaleDownDelaySeconds })),
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
  /** Sessions go to sites at most this far from the user, km (default 1500); a request may set its own. */
  maxDistanceKm: Type.Optional(Type.Number({ minimum: 1, maximum: 20040 })),
}, Strict)

export const AppSpecSchema = Type.Object({
  replicas: Type.Integer({ minimum: 0, maximum: 100000, default: 1 }),
  /** Higher wins capacity: may preempt instances of lower-priority apps (placement.preemption). */
  priority: Type.Optional(Type.Integer({ minimum: -1000000, maximum: 1000000, default: 0 })),
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
  /** Replicas follow demand between min and max; the app controller sets the count it schedules. */
  autoscale: Type.Optional(AutoscaleSchema),
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
      /** The revision's image at this site (pre-distribution): the site starts only once it is present. */
      image: Type.Optional(Type.Object({ state: StringEnum(['pulling', 'present', 'failed'] as const), message: Type.Optional(Type.String()) }, Strict)),
    }, Strict)),
  }, Strict)),
}, Strict)

/** One site's scheduling decision and its reason (the scheduler's Plan.decisions, for `describe app`). */
export const SiteDecisionSchema = Type.Object({
  site: Type.String(),
  /** Replicas of the app counted in the site once the plan is applied. */
  replicas: Type.Integer({ minimum: 0 }),
  placed: Type.Optional(Type.Integer({ minimum: 0 })),
  removed: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Instances on failed-over nodes: not counted, not removed. */
  lost: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Instances above the target, held until replacements are ready. */
  surplus: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Replicas the division mode wants here (modes other than fixed). */
  target: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Site score in [0, 1], higher is better. */
  score: Type.Optional(Type.Number()),
  reason: Type.String(),
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
  /** The last plan's per-site decisions (the touched sites and the best others; `omitted` more). */
  placement: Type.Optional(Type.Object({
    decisions: Type.Array(SiteDecisionSchema),
    omitted: Type.Optional(Type.Integer({ minimum: 0 })),
  }, Strict)),
  /** Autoscaling state: the count it asked for, why, and when the scale-down delay counts from. */
  autoscale: Type.Optional(Type.Object({
    replicas: Type.Integer({ minimum: 0 }),
    reason: Type.Optional(Type.String()),
    lastScaleDownAt: Type.Optional(Type.String({ description: 'RFC 3339: the last scale change (either direction); the next scale-down waits scaleDownDelaySeconds after it' })),
  }, Strict)),
}, Strict)

export const AppSchema = envelope('App', AppSpecSchema, AppStatusSchema)
export type AppSpec = Static<typeof AppSpecSchema>
export type AppStatus = Static<typeof AppStatusSchema>
export type Template = Static<typeof TemplateSchema>
export type Probe = Static<typeof ProbeSchema>
export type Placement = Static<typeof PlacementSchema>
export type Division = NonNullable<Placement['division']>
export type DivisionMode = (typeof DIVISION_MODES)[number]
export type DivisionWeight = NonNullable<Division['weights']>[number]
export type Autoscale = Static<typeof AutoscaleSchema>
export type Rollout = Static<typeof RolloutSchema>
export type SessionPool = Static<typeof SessionPoolSchema>
export type RolloutStatus = Static<typeof RolloutStatusSchema>
export type SiteDecision = Static<typeof SiteDecisionSchema>
export interface App { apiVersion: string; kind: 'App'; metadata: ObjectMeta; spec: AppSpec; status?: AppStatus }

/** Checks of the scheduling fields that the schema cannot express, with field paths. */
export function schedulingCauses(spec: AppSpec): Cause[] {
  const causes: Cause[] = []
  const division = spec.placement?.division
  const mode = division?.mode ?? PLACEMENT_DEFAULTS.division
  const at = 'spec.placement.division'
  if (mode === 'weighted' && !division?.weights?.length) {
    causes.push({ field: `${at}.weights`, reason: 'FieldValueRequired', message: 'mode weighted needs weights (entries naming a site, region or provider)' })
  }
  if (mode !== 'weighted' && division?.weights?.length) {
    causes.push({ field: `${at}.weights`, reason: 'FieldValueForbidden', message: `weights are used by mode weighted only (mode is ${mode})` })
  }
  for (const [i, w] of (division?.weights ?? []).entries()) {
    if (w.site === undefined && w.region === undefined && w.provider === undefined) {
      causes.push({ field: `${at}.weights[${i}]`, reason: 'FieldValueRequired', message: 'name a site, a region or a provider' })
    }
  }
  const a = spec.autoscale
  if (a) {
    if (a.min > a.max) causes.push({ field: 'spec.autoscale.min', reason: 'FieldValueInvalid', message: `must not exceed max (${a.max})` })
    const t = a.targetPerReplica
    if (t.requestsPerSecond === undefined && t.concurrentConnections === undefined) {
      causes.push({ field: 'spec.autoscale.targetPerReplica', reason: 'FieldValueRequired', message: 'set requestsPerSecond and/or concurrentConnections' })
    }
    if (spec.sessions) causes.push({ field: 'spec.autoscale', reason: 'FieldValueForbidden', message: 'session apps size their pools per site (spec.sessions); autoscale does not apply' })
  }
  return causes
}
