// Kubernetes manifests → Apps: an apps/v1 Deployment, with the v1 Service that selects its pods
// (its port becomes traffic) and the HorizontalPodAutoscaler that targets it (min/max become
// autoscale). Pure: documents in, Apps and warnings out. Every field with no equivalent is a
// warning naming it; nothing is dropped silently.
import { ApiError } from '../errors.js'
import { API_VERSION } from '../meta.js'
import { translatePod } from './container.js'
import { translateScheduling } from './scheduling.js'
import type { ImportWarning, Warn } from './warnings.js'

type Obj = Record<string, any>

export interface ImportResult {
  apps: Obj[]
  warnings: ImportWarning[]
  /** Documents that are not Kubernetes kinds we translate (passed on as they are). */
  rest: unknown[]
}

/** Annotations that set what Kubernetes manifests cannot say. */
export const HOST_ANNOTATION = 'edgeplane.io/traffic-host'
export const RPS_ANNOTATION = 'edgeplane.io/requests-per-second-per-replica'

export function isKubernetesKind(doc: unknown): boolean {
  const d = doc as Obj
  return !!d && typeof d === 'object' && (
    (d.apiVersion === 'apps/v1' && d.kind === 'Deployment') ||
    (d.apiVersion === 'v1' && d.kind === 'Service') ||
    (typeof d.apiVersion === 'string' && d.apiVersion.startsWith('autoscaling/') && d.kind === 'HorizontalPodAutoscaler'))
}

export function importManifests(docs: unknown[], opts: { namespace?: string } = {}): ImportResult {
  const warnings: ImportWarning[] = []
  const rest: unknown[] = []
  const deployments: Obj[] = [], services: Obj[] = [], hpas: Obj[] = []
  for (const d of docs) {
    if (!isKubernetesKind(d)) { rest.push(d); continue }
    const o = d as Obj
    if (o.kind === 'Deployment') deployments.push(o)
    else if (o.kind === 'Service') services.push(o)
    else hpas.push(o)
  }
  const apps = deployments.map((d) => translateDeployment(d, opts.namespace, warnings))
  const ns = (o: Obj) => o.metadata?.namespace ?? opts.namespace ?? 'default'
  for (const svc of services) {
    const source = `Service ${svc.metadata?.name ?? '?'}`
    const warn: Warn = (field, message) => warnings.push({ source, field, message })
    const selector: Obj = svc.spec?.selector ?? {}
    const target = deployments.findIndex((d) => ns(d) === ns(svc) && Object.keys(selector).length > 0 &&
      Object.entries(selector).every(([k, v]) => d.spec?.template?.metadata?.labels?.[k] === v))
    if (target < 0) { warn('spec.selector', 'selects the pods of no Deployment in this manifest; the Service is ignored'); continue }
    applyService(svc, deployments[target], apps[target], warn)
  }
  for (const hpa of hpas) {
    const source = `HorizontalPodAutoscaler ${hpa.metadata?.name ?? '?'}`
    const warn: Warn = (field, message) => warnings.push({ source, field, message })
    const ref = hpa.spec?.scaleTargetRef ?? {}
    const target = deployments.findIndex((d) => ns(d) === ns(hpa) && ref.kind === 'Deployment' && d.metadata?.name === ref.name)
    if (target < 0) { warn('spec.scaleTargetRef', `targets ${ref.kind ?? '?'} "${ref.name ?? '?'}", which is no Deployment in this manifest; ignored`); continue }
    applyHpa(hpa, apps[target], warn)
  }
  return { apps, warnings, rest }
}

const DEPLOYMENT_SPEC_KNOWN = new Set(['replicas', 'selector', 'template', 'strategy', 'revisionHistoryLimit', 'paused', 'minReadySeconds', 'progressDeadlineSeconds'])

function translateDeployment(d: Obj, namespace: string | undefined, warnings: ImportWarning[]): Obj {
  const name = d.metadata?.name
  const source = `Deployment ${name ?? '?'}`
  const warn: Warn = (field, message) => warnings.push({ source, field, message })
  if (typeof name !== 'string' || !name) throw bad(source, 'metadata.name', 'a Deployment needs a name')
  const spec: Obj = d.spec ?? {}
  const tpl: Obj = spec.template ?? {}
  if (!tpl.spec) throw bad(source, 'spec.template.spec', 'a Deployment needs a pod template')
  for (const k of Object.keys(spec)) if (!DEPLOYMENT_SPEC_KNOWN.has(k)) warn(`spec.${k}`, 'has no edgeplane equivalent and is ignored')
  let translated
  try { translated = translatePod(tpl.spec, 'spec.template.spec', warn) } catch (e) {
    const [field, ...why] = (e as Error).message.split(': ')
    throw bad(source, field, why.join(': '))
  }
  const app: Obj = {
    apiVersion: API_VERSION,
    kind: 'App',
    metadata: {
      name,
      namespace: d.metadata.namespace ?? namespace ?? 'default',
      ...(d.metadata.labels ? { labels: { ...d.metadata.labels } } : {}),
      annotations: { ...(d.metadata.annotations ?? {}), 'edgeplane.io/imported-from': `apps/v1 Deployment ${name}` },
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1, template: translated.template },
  }
  // The selector only says which pods are the Deployment's: an app knows its instances itself.
  const sel = spec.selector?.matchLabels ?? {}
  const podLabels = tpl.metadata?.labels ?? {}
  if (spec.selector?.matchExpressions) warn('spec.selector.matchExpressions', 'an app selects its own instances; the selector is not needed and is ignored')
  if (Object.entries(sel).some(([k, v]) => podLabels[k] !== v)) warn('spec.selector.matchLabels', 'does not match the pod template\'s labels (Kubernetes would refuse this Deployment); ignored')
  for (const k of Object.keys(tpl.metadata ?? {})) if (k !== 'labels') warn(`spec.template.metadata.${k}`, 'is not carried to instances and is ignored')
  if (Object.keys(podLabels).length) warn('spec.template.metadata.labels', 'instances carry edgeplane.io/app=<name> rather than the pod labels; they are used only to match a Service')
  const ru = spec.strategy?.rollingUpdate
  if (spec.strategy?.type === 'Recreate') warn('spec.strategy.type', 'Recreate is not supported: apps roll out site by site with the rolling defaults')
  if (ru) {
    const rollout: Obj = {}
    if (ru.maxUnavailable !== undefined) rollout.maxUnavailable = ru.maxUnavailable
    if (ru.maxSurge !== undefined) {
      if (typeof ru.maxSurge === 'number') rollout.maxSurge = ru.maxSurge
      else warn('spec.strategy.rollingUpdate.maxSurge', `"${ru.maxSurge}": a percentage surge is not supported (a count is); the default (1) applies`)
    }
    if (Object.keys(rollout).length) app.spec.rollout = rollout
  }
  if (typeof spec.revisionHistoryLimit === 'number') app.spec.rollout = { ...(app.spec.rollout ?? {}), revisionHistoryLimit: Math.max(1, spec.revisionHistoryLimit) }
  if (spec.paused === true) app.spec.paused = true
  for (const k of ['minReadySeconds', 'progressDeadlineSeconds']) if (spec[k] !== undefined) warn(`spec.${k}`, 'is not supported (rollout.soakSeconds and rollout.gate.readyTimeoutSeconds are the nearest) and is ignored')
  const placement = translateScheduling(tpl.spec, 'spec.template.spec', warn)
  if (placement) app.spec.placement = placement
  return app
}

function applyService(svc: Obj, d: Obj, app: Obj, warn: Warn): void {
  const ports: Obj[] = svc.spec?.ports ?? []
  if (!ports.length) { warn('spec.ports', 'no ports: the Service adds nothing'); return }
  for (const k of Object.keys(svc.spec ?? {})) if (k !== 'ports' && k !== 'selector' && !(k === 'type' && svc.spec.type === 'ClusterIP')) warn(`spec.${k}`, k === 'type' ? `${svc.spec.type}: every app with traffic is reachable through its sites' gateways and DNS; the type is ignored` : 'is not supported and is ignored')
  for (const [i] of ports.slice(1).entries()) warn(`spec.ports[${i + 1}]`, 'an app takes traffic on one port; only the first Service port is used')
  const p = ports[0]
  const target = p.targetPort ?? p.port
  const tports: Obj[] = app.spec.template.ports ?? []
  const port = tports.find((x) => (typeof target === 'number' ? x.containerPort === target : x.name === target))
  if (!port) { warn('spec.ports[0].targetPort', `${JSON.stringify(target)} is not a port of the Deployment's container; no traffic is set`); return }
  if (p.nodePort !== undefined) warn('spec.ports[0].nodePort', 'is not supported and is ignored')
  if (p.port !== undefined && p.port !== port.containerPort) warn('spec.ports[0].port', `the Service port ${p.port} is not kept: users reach the app on its sites' gateways (HTTP), which forward to containerPort ${port.containerPort}`)
  const host = svc.metadata?.annotations?.[HOST_ANNOTATION] ?? d.metadata?.annotations?.[HOST_ANNOTATION]
  const ns = app.metadata.namespace
  const chosen = typeof host === 'string' && host ? host : `${svc.metadata?.name ?? app.metadata.name}.${ns}`
  if (!host) warn('metadata.annotations', `no ${HOST_ANNOTATION} annotation: traffic.host is "${chosen}" (set the annotation to choose the DNS name users reach)`)
  app.spec.traffic = { host: chosen, port: port.name }
}

function applyHpa(hpa: Obj, app: Obj, warn: Warn): void {
  const spec: Obj = hpa.spec ?? {}
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1
  const max = spec.maxReplicas
  if (typeof max !== 'number') { warn('spec.maxReplicas', 'is missing; the autoscaler is ignored'); return }
  const rps = Number(hpa.metadata?.annotations?.[RPS_ANNOTATION])
  const metrics: Obj[] = spec.metrics ?? (spec.targetCPUUtilizationPercentage !== undefined ? [{ type: 'Resource', resource: { name: 'cpu' } }] : [])
  for (const [i, m] of metrics.entries()) {
    warn(spec.metrics ? `spec.metrics[${i}]` : 'spec.targetCPUUtilizationPercentage', `${m.type === 'Resource' ? `${m.resource?.name} utilization` : `${m.type} metric`} is not a signal edgeplane scales on (requests per second or concurrent connections per replica are)${rps > 0 ? `; ${RPS_ANNOTATION} is used instead` : ''}`)
  }
  if (spec.behavior) warn('spec.behavior', 'is not supported (autoscale.scaleDownDelaySeconds is the nearest) and is ignored')
  if (!(rps > 0)) {
    warn('metadata.annotations', `no ${RPS_ANNOTATION} annotation: without a target the app is not autoscaled; replicas is set to minReplicas (${min})`)
    app.spec.replicas = min
    return
  }
  app.spec.autoscale = { min, max, targetPerReplica: { requestsPerSecond: rps } }
  app.spec.replicas = Math.min(Math.max(app.spec.replicas, min), max)
}

function bad(source: string, field: string, message: string): ApiError {
  return new ApiError('Invalid', `${source}: ${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] })
}
