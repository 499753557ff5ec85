// One step of a rollout, pure: from the previous rollout status and what the sites look like now,
// the next status, the revision each site is driven to, and what to tell the user. Waves go one
// after the other; inside a wave at most maxConcurrentSites update at once; a site is done once all
// its instances run the new revision, ready, for soakSeconds. A crash loop, a site that does not
// become ready in time, or a high error rate fails the gate: roll back, or stop and wait.
import type { Rollout, RolloutStatus } from '../../api/kinds/index.js'
import { planWaves, type SiteRef } from './waves.js'

export interface SiteObservation {
  site: string
  labels: Record<string, string>
  /** Whether any node of the site is Ready. */
  online: boolean
  /** Instances the placement wants in this site. */
  desired: number
  instances: { revision: string; ready: boolean; restarts: number }[]
  /** Gateway-reported error rate (0–1) of the app's host in this site, when known. */
  errorRate?: number
  /** The new revision's image at this site, when the revision has one: the site starts only once it is present. */
  image?: { state: 'pulling' | 'present' | 'failed'; message?: string }
}

export type RolloutStrategy = Required<Pick<Rollout, 'waves' | 'maxConcurrentSites' | 'soakSeconds' | 'gate' | 'autoRollback' | 'offlineSites'>> & Pick<Rollout, 'canary'>

export interface RolloutInput {
  /** The revision of spec.template. */
  revision: string
  /** The last good revision (none before the first rollout finished). */
  lastGood?: string
  strategy: RolloutStrategy
  paused: boolean
  sites: SiteObservation[]
  now: number
}

export interface RolloutEvent { type: 'Normal' | 'Warning'; reason: string; message: string }

export interface RolloutStep {
  status: RolloutStatus
  /** The revision each site is driven to; absent: the site keeps what it runs (new instances get lastGood). */
  targets: Map<string, string>
  /** Set when this step finished the rollout. */
  lastGood?: string
  events: RolloutEvent[]
  /** When to look again even if nothing changes (soak and ready deadlines). */
  recheckMs?: number
}

type SiteState = RolloutStatus['waves'][number]['sites'][number]

const iso = (ms: number) => new Date(ms).toISOString()

export function defaultStrategy(r: Rollout | undefined): RolloutStrategy {
  return {
    waves: r?.waves ?? [100], maxConcurrentSites: r?.maxConcurrentSites ?? 10, soakSeconds: r?.soakSeconds ?? 10,
    gate: { maxRestarts: r?.gate?.maxRestarts ?? 2, readyTimeoutSeconds: r?.gate?.readyTimeoutSeconds ?? 120, maxErrorRate: r?.gate?.maxErrorRate ?? 0.05 },
    autoRollback: r?.autoRollback ?? true, offlineSites: r?.offlineSites ?? 'skip', ...(r?.canary ? { canary: r.canary } : {}),
  }
}

/** A site is updated when every instance runs the revision, is ready, and there are enough of them. */
export function siteUpdated(o: SiteObservation, revision: string): boolean {
  return o.desired > 0 && o.instances.length >= o.desired && o.instances.every((i) => i.revision === revision && i.ready)
}

export function advanceRollout(prev: RolloutStatus | undefined, input: RolloutInput): RolloutStep {
  const { revision, lastGood, strategy: st, now } = input
  const events: RolloutEvent[] = []
  const obs = new Map(input.sites.map((s) => [s.site, s]))
  const allTo = (rev: string) => new Map(input.sites.map((s) => [s.site, rev]))

  // Nothing to roll out from (first deployment) or back to known good: go straight there.
  if (!lastGood || lastGood === revision) {
    const done = input.sites.every((s) => siteUpdated(s, revision))
    // A rollout that reached this revision keeps its record (waves, times) while nothing changes.
    if (done && prev?.revision === revision && prev.phase === 'Succeeded') return { status: prev, targets: allTo(revision), events, lastGood: revision }
    const same = prev?.revision === revision && prev.from === undefined
    const status: RolloutStatus = {
      revision, phase: done ? 'Succeeded' : 'Progressing', startedAt: same ? prev.startedAt : iso(now), wave: 0,
      waves: [{ name: 'all', sites: input.sites.map((s) => ({ site: s.site, state: siteUpdated(s, revision) ? 'Done' : 'Updating' })) }],
      ...(done ? { finishedAt: same && prev.finishedAt ? prev.finishedAt : iso(now) } : {}),
      message: done ? `all ${input.sites.length} site(s) run revision ${revision}` : `deploying revision ${revision} to every site`,
    }
    if (done && prev?.phase !== 'Succeeded') events.push({ type: 'Normal', reason: 'RolloutSucceeded', message: status.message! })
    return { status, targets: allTo(revision), events, ...(done ? { lastGood: revision } : {}) }
  }

  let status: RolloutStatus
  if (!prev || prev.revision !== revision || prev.from !== lastGood) {
    const waves = planWaves(input.sites.map((s): SiteRef => ({ name: s.site, labels: s.labels })), st)
    status = {
      revision, from: lastGood, phase: input.paused ? 'Paused' : 'Progressing', startedAt: iso(now), wave: 0,
      waves: waves.map((w) => ({ name: w.name, sites: w.sites.map((site) => ({ site, state: 'Pending' as const })) })),
      message: `rolling out revision ${revision} (from ${lastGood}) in ${waves.length} wave(s)`,
    }
    events.push({ type: 'Normal', reason: 'RolloutStarted', message: `${status.message}: ${waves.map((w) => `${w.name} [${w.sites.join(', ')}]`).join(', ')}` })
  } else {
    status = structuredClone(prev)
  }

  const finished = status.phase === 'Succeeded' || status.phase === 'RolledBack' || status.phase === 'Failed'
  if (!finished) {
    status.phase = input.paused ? 'Paused' : 'Progressing'
    let recheck: number | undefined
    const later = (ms: number) => { recheck = recheck === undefined ? ms : Math.min(recheck, ms) }
    for (;;) {
      const wave = status.waves[status.wave]
      if (!wave) break
      const failures: string[] = []
      for (const s of wave.sites) {
        const o = obs.get(s.site)
        // A site the app left is nothing to wait for.
        if (!o || o.desired === 0) { if (s.state !== 'Done' && s.state !== 'Skipped') Object.assign(s, { state: 'Done', message: 'no instances wanted here any more' }); continue }
        step(s, o, revision, st, now, input.paused, later)
        if (s.state === 'Failed') failures.push(`${s.site}: ${s.message}`)
      }
      // Start more sites of this wave, up to the concurrency limit.
      if (!input.paused && !failures.length) {
        let active = wave.sites.filter((s) => s.state === 'Updating' || s.state === 'Soaking').length
        for (const s of wave.sites) {
          if (s.state !== 'Pending' || active >= st.maxConcurrentSites) continue
          const o = obs.get(s.site)!
          if (!o.online && st.offlineSites === 'skip') { Object.assign(s, { state: 'Skipped', message: 'offline: it converges when it returns' }); continue }
          // Pre-distribution: a site starts only with the image on site (a failed fetch is retried there, never a crash loop here).
          if (o.image && o.image.state !== 'present') { s.message = `waiting for the image: ${o.image.state}${o.image.message ? ` (${o.image.message})` : ''}`; continue }
          if (s.message?.startsWith('waiting for the image')) delete s.message
          Object.assign(s, { state: 'Updating', startedAt: iso(now) })
          active++
          step(s, o, revision, st, now, input.paused, later)
          if ((s.state as string) === 'Failed') failures.push(`${s.site}: ${s.message}`)
        }
      }
      if (failures.length) {
        const why = `wave ${wave.name} failed the health gate: ${failures.join('; ')}`
        if (st.autoRollback) {
          Object.assign(status, { phase: 'RolledBack', finishedAt: iso(now), message: `${why}; rolled back to revision ${lastGood}` })
          events.push({ type: 'Warning', reason: 'RolloutRolledBack', message: status.message! })
        } else {
          Object.assign(status, { phase: 'Failed', finishedAt: iso(now), message: `${why}; stopped (autoRollback is off): fix the app or run "edgeplane rollout undo"` })
          events.push({ type: 'Warning', reason: 'RolloutFailed', message: status.message! })
        }
        break
      }
      if (!wave.sites.every((s) => s.state === 'Done' || s.state === 'Skipped')) {
        const counts = wave.sites.reduce((m, s) => m.set(s.state, (m.get(s.state) ?? 0) + 1), new Map<string, number>())
        status.message = `${input.paused ? 'paused in' : 'in'} wave ${status.wave + 1}/${status.waves.length} (${wave.name}): ${[...counts].map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ')}`
        break
      }
      events.push({ type: 'Normal', reason: 'WaveCompleted', message: `wave ${wave.name} done (${wave.sites.map((s) => s.site).join(', ')})` })
      if (status.wave + 1 >= status.waves.length) {
        Object.assign(status, { phase: 'Succeeded', finishedAt: iso(now), message: `revision ${revision} rolled out to every site` })
        events.push({ type: 'Normal', reason: 'RolloutSucceeded', message: status.message! })
        break
      }
      status.wave++
    }
    const targets = targetsOf(status, input, lastGood)
    return { status, targets, events, ...((status.phase as string) === 'Succeeded' ? { lastGood: revision } : {}), ...(recheck !== undefined ? { recheckMs: recheck } : {}) }
  }
  return { status, targets: targetsOf(status, input, lastGood), events }
}

/** Moves one started site along: Updating → Soaking → Done, or Failed when it breaks the gate. */
function step(s: SiteState, o: SiteObservation, revision: string, st: RolloutStrategy, now: number, paused: boolean, later: (ms: number) => void): void {
  if (s.state === 'Done' || s.state === 'Skipped' || s.state === 'Failed' || s.state === 'Pending') return
  if (!o.online) {
    if (st.offlineSites === 'skip') { Object.assign(s, { state: 'Skipped', message: 'went offline: it converges when it returns' }); return }
    Object.assign(s, { state: 'Failed', message: 'site is offline' })
    return
  }
  const crashing = o.instances.find((i) => i.revision === revision && i.restarts > st.gate.maxRestarts)
  if (crashing) { Object.assign(s, { state: 'Failed', message: `an updated instance restarted ${crashing.restarts} times (limit ${st.gate.maxRestarts}): crash loop` }); return }
  if (o.errorRate !== undefined && o.errorRate > st.gate.maxErrorRate) {
    Object.assign(s, { state: 'Failed', message: `error rate ${(o.errorRate * 100).toFixed(1)}% is above ${(st.gate.maxErrorRate * 100).toFixed(1)}%` })
    return
  }
  if (siteUpdated(o, revision)) {
    if (s.state === 'Updating') Object.assign(s, { state: 'Soaking', readyAt: new Date(now).toISOString(), message: undefined })
    const left = st.soakSeconds * 1000 - (now - Date.parse(s.readyAt!))
    if (left <= 0) Object.assign(s, { state: 'Done', message: undefined })
    else later(left)
    return
  }
  // Not (or no longer) fully ready: back to updating, under the ready deadline.
  if (s.state === 'Soaking') Object.assign(s, { state: 'Updating', readyAt: undefined })
  const waited = now - Date.parse(s.startedAt!)
  const limit = st.gate.readyTimeoutSeconds * 1000
  if (waited > limit && !paused) {
    const notReady = o.instances.filter((i) => i.revision === revision && !i.ready).length
    Object.assign(s, { state: 'Failed', message: `not fully updated and ready within ${st.gate.readyTimeoutSeconds}s (${notReady} updated instance(s) not ready: failing probes?)` })
    return
  }
  later(Math.max(0, limit - waited) + 1)
}

function targetsOf(status: RolloutStatus, input: RolloutInput, lastGood: string): Map<string, string> {
  const targets = new Map<string, string>()
  const inWave = new Map<string, SiteState['state']>()
  for (const w of status.waves) for (const s of w.sites) inWave.set(s.site, s.state)
  for (const o of input.sites) {
    if (status.phase === 'RolledBack') { targets.set(o.site, lastGood); continue }
    const state = inWave.get(o.site)
    // Sites that joined the app during the rollout start on the new revision; pending ones keep theirs.
    if (state === undefined || state !== 'Pending') targets.set(o.site, status.revision)
  }
  return targets
}
