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

export const AppSpecSchema = Type.Object({
  replicas: Type.Integer({ minimum: 0, maximum: 100000, default: 1 }),
  template: TemplateSchema,
  placement: Type.Optional(PlacementSchema),
  traffic: Type.Optional(Type.Object({
    host: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 }),
    port: Type.String({ pattern: PORT_NAME_PATTERN }),
  }, Strict)),
}, Strict)

export const AppStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  revision: Type.Optional(Type.String()),
  replicas: Type.Integer({ minimum: 0 }),
  readyReplicas: Type.Integer({ minimum: 0 }),
  updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  sites: Type.Optional(Type.Array(Type.Object({
    site: Type.String(),
    replicas: Type.Integer(),
    ready: Type.Integer(),
  }, Strict))),
}, Strict)

export const AppSchema = envelope('App', AppSpecSchema, AppStatusSchema)
export type AppSpec = Static<typeof AppSpecSchema>
export type AppStatus = Static<typeof AppStatusSchema>
export type Template = Static<typeof TemplateSchema>
export type Probe = Static<typeof ProbeSchema>
export type Placement = Static<typeof PlacementSchema>
export interface App { apiVersion: string; kind: 'App'; metadata: ObjectMeta; spec: AppSpec; status?: AppStatus }
