// How many replicas an autoscaled app wants, from the demand it observes. Pure: the controller
// passes the current count, what the gateways measured, the spec, when it last scaled down, and
// the time. Hysteresis on two sides: a tolerance band (no change while the load per replica is
// within ±10% of the target), and scale-down waits scaleDownDelaySeconds after the previous one
// (pass the time of the last scale change in either direction to also hold a scale-down right after
// a scale-up) and only goes as low as keeps the load 10% below target. Scale-up is immediate. The
// result then goes to schedule() as ScheduleRequest.replicas; the demand division places it.
import { AUTOSCALE_DEFAULTS, type Autoscale } from '../api/kinds/index.js'

export const TOLERANCE = 0.1

/** What the gateways measured for the whole app (all sites): requests/s and concurrent connections. */
export interface Observed { rps?: number; connections?: number }

export interface AutoscaleDecision {
  replicas: number
  /** Up, down, or hold (including a scale-down waiting out its delay). */
  direction: 'up' | 'down' | 'hold'
  reason: string
  /** For a held scale-down: when it may happen (ms); requeue then. */
  retryAt?: number
}

export function autoscaleReplicas(current: number, observed: Observed, spec: Autoscale, lastScaleDownAt: number | undefined, now: number): AutoscaleDecision {
  const clamp = (n: number) => Math.min(spec.max, Math.max(spec.min, n))
  const metrics = loads(observed, spec)
  if (current < spec.min || current > spec.max) {
    const to = clamp(current)
    return { replicas: to, direction: to > current ? 'up' : 'down', reason: `${current} is outside min ${spec.min} / max ${spec.max}` }
  }
  if (!metrics.length) return { replicas: current, direction: 'hold', reason: 'no demand measured' }

  // Replicas each metric needs at exactly the target, and at 90% of it (the scale-down floor).
  const need = Math.max(...metrics.map((m) => Math.ceil(m.value / m.target - 1e-9)))
  const needLow = Math.max(...metrics.map((m) => Math.ceil(m.value / (m.target * (1 - TOLERANCE)) - 1e-9)))
  const util = Math.max(...metrics.map((m) => m.value / (Math.max(current, 1) * m.target)))
  const what = metrics.map((m) => `${round(m.value)} ${m.unit}`).join(', ')

  if (current === 0 ? need > 0 : util > 1 + TOLERANCE && need > current) {
    const to = clamp(need)
    if (to > current) return { replicas: to, direction: 'up', reason: `${what}: ${to} replicas at the target per replica` }
    return { replicas: current, direction: 'hold', reason: `${what}: at max ${spec.max}` }
  }
  const down = clamp(needLow)
  if (down < current && util < 1 - TOLERANCE) {
    const delayMs = (spec.scaleDownDelaySeconds ?? AUTOSCALE_DEFAULTS.scaleDownDelaySeconds) * 1000
    if (lastScaleDownAt !== undefined && now - lastScaleDownAt < delayMs) {
      return {
        replicas: current, direction: 'hold', retryAt: lastScaleDownAt + delayMs,
        reason: `${what}: ${down} would do, scale-down waits ${Math.ceil((lastScaleDownAt + delayMs - now) / 1000)}s more`,
      }
    }
    return { replicas: down, direction: 'down', reason: `${what}: ${down} replicas keep the load under ${Math.round((1 - TOLERANCE) * 100)}% of the target` }
  }
  return { replicas: current, direction: 'hold', reason: `${what}: within ${Math.round(TOLERANCE * 100)}% of the target` }
}

function loads(o: Observed, spec: Autoscale): { value: number; target: number; unit: string }[] {
  const t = spec.targetPerReplica
  const out: { value: number; target: number; unit: string }[] = []
  const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x >= 0
  if (t.requestsPerSecond && ok(o.rps)) out.push({ value: o.rps, target: t.requestsPerSecond, unit: 'req/s' })
  if (t.concurrentConnections && ok(o.connections)) out.push({ value: o.connections, target: t.concurrentConnections, unit: 'connections' })
  return out
}

const round = (x: number) => Math.round(x * 10) / 10
