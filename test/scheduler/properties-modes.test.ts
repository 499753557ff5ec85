// Property tests for the division modes, failover and preemption over ~250 seeded random fleets
// (a failure names the seed). The checks re-derive each rule from the snapshot, independently of
// the scheduler's helpers: capacity (after preemptions), placement rules, maxPerSite, lost
// instances, victims and budget, determinism under shuffling, idempotence, and proportionality of
// the weighted, capacity and demand modes within rounding.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { matchesSelector } from '../../src/api/labels.js'
import { parseCpu, parseMemory } from '../../src/api/quantity.js'
import { distanceKm } from '../../src/routing/policy.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import type { DemandPoint, NodeInfo, PlacedInstance, SchedulePlan, ScheduleRequest, SiteInfo, Snapshot } from '../../src/scheduler/types.js'
import { APP, Gi, Harness, Mi, gen, inst, node, req, shuffle, site, type Gen, fits, used } from './harness.js'

const CASES = 250
const NOW = 1_700_000_000_000
const REGIONS = ['eu', 'us', 'ap'] as const
const PROVIDERS = ['p1', 'p2', 'p3'] as const
const MODES = ['fixed', 'weighted', 'capacity', 'demand'] as const

interface Case { seed: number; snapshot: Snapshot; request: ScheduleRequest; fresh: boolean; roomy: boolean }

const point = (g: Gen) => ({ lat: g.int(-60, 60) + g.rand(), lon: g.int(-170, 170) + g.rand() })

function makeCase(seed: number): Case {
  const g = gen(seed)
  const mode = g.pick(MODES)
  // A third of the cases are "roomy": fresh, every site ready and big, no caps, so that the
  // division is exactly proportional and can be checked within rounding.
  const roomy = mode !== 'fixed' && g.chance(0.35)
  const sites: SiteInfo[] = []
  const nodes: NodeInfo[] = []
  for (let i = 0, n = g.int(1, 14); i < n; i++) {
    const name = `site-${String(i).padStart(2, '0')}`
    const s = site(name, {
      region: g.pick(REGIONS), provider: g.pick(PROVIDERS), tier: g.chance(0.25) ? 'central' : 'edge',
      labels: g.chance(0.8) ? { zone: g.pick(['a', 'b']) } : {}, unschedulable: !roomy && g.chance(0.08),
      ...(g.chance(0.85) ? { geo: point(g) } : {}), ...(g.chance(0.6) ? { price: g.int(1, 9) / 100 } : {}),
    })
    sites.push(s)
    for (let j = 0, m = roomy ? g.int(1, 3) : g.int(0, 4); j < m; j++) {
      const ready = roomy || g.chance(0.8)
      const timed = !roomy && g.chance(0.3)
      nodes.push(node(`${name}-n${j}`, name, {
        ready, unschedulable: !roomy && g.chance(0.08),
        cpu: roomy ? 64000 : g.pick([0, 500, 1000, 2000, 4000]), memory: roomy ? 256 * Gi : g.pick([512 * Mi, Gi, 2 * Gi, 4 * Gi]),
        ...(timed && !ready ? { notReadySince: NOW - g.int(0, 200) * 1000 } : {}),
        ...(timed && ready ? { readySince: NOW - g.int(0, 300) * 1000 } : {}),
      }))
    }
    if (!roomy && g.chance(0.1)) sites[i] = { ...s, ...(nodes.some((n) => n.site === name && n.ready) ? { readySince: NOW - g.int(0, 300) * 1000 } : { notReadySince: NOW - g.int(0, 200) * 1000 }) }
  }
  const snapshot: Snapshot = { sites, nodes, instances: [] }
  const fresh = roomy || g.chance(0.35)
  for (let k = 0, n = nodes.length && !roomy ? g.int(0, 30) : 0; k < n; k++) {
    const nd = g.pick(nodes)
    const kind = g.int(0, 2)
    if (fresh && kind === 2) continue
    const request = { cpu: g.pick([0, 100, 250, 1000]), memory: g.pick([0, 128 * Mi, 512 * Mi]) }
    if (!fits(snapshot, nd, request)) continue
    const over: Partial<PlacedInstance> = kind === 0 ? { app: g.pick(['default/other', 'default/batch']), priority: g.int(-2, 8) } : kind === 1 ? { revision: 'r0' } : {}
    snapshot.instances.push(inst(`i-${String(k).padStart(3, '0')}`, nd.name, nd.site, {
      ...over, request, ...(g.chance(0.7) ? { ready: g.chance(0.8) } : {}), ...(g.chance(0.5) ? { createdAt: NOW - g.int(0, 1e6) } : {}),
    }))
  }

  const placement: PlacementSpec = {}
  if (mode === 'fixed') placement.spread = { by: g.pick(['site', 'region', 'provider'] as const) }
  else if (mode === 'weighted') {
    const keys = shuffle(g, [...REGIONS.map((region) => ({ region })), ...PROVIDERS.map((provider) => ({ provider })), ...sites.slice(0, 3).map((s) => ({ site: s.name }))])
    placement.division = { mode, weights: keys.slice(0, g.int(1, 4)).map((k) => ({ ...k, weight: g.pick([0, 1, 2, 3, 5]) })) }
  } else placement.division = { mode }
  if (!roomy) {
    if (g.chance(0.25)) placement.regions = shuffle(g, REGIONS).slice(0, g.int(1, 2))
    if (g.chance(0.15)) placement.providers = shuffle(g, PROVIDERS).slice(0, g.int(1, 2))
    if (g.chance(0.15)) placement.tiers = [g.pick(['edge', 'central'] as const)]
    if (g.chance(0.15)) placement.siteSelector = { matchLabels: { zone: g.pick(['a', 'b']) } }
    if (g.chance(0.3)) placement.maxPerSite = g.int(1, 4)
    if (g.chance(0.5)) placement.failover = { afterSeconds: g.pick([30, 60, 120]), returnAfterSeconds: g.pick([0, 60, 120]), pinned: g.chance(0.2) }
    if (g.chance(0.3)) placement.preemption = { maxPerHour: g.int(0, 4) }
  }
  const demand: DemandPoint[] = Array.from({ length: g.int(0, 12) }, () => ({ point: point(g), weight: g.int(1, 100) }))
  const request = req({
    replicas: g.int(0, 15), now: NOW, demand, priority: g.int(0, 6),
    cpu: g.pick([null, '100m', '250m', '1']), memory: g.pick([null, '128Mi', '512Mi', '1Gi']),
    placement, recentPreemptions: g.int(0, 3), explain: Infinity,
  })
  return { seed, snapshot, request, fresh, roomy }
}

const cases = Array.from({ length: CASES }, (_, i) => makeCase(5000 + i))
const plans = new Map(cases.map((c) => [c.seed, schedule(c.snapshot, c.request)]))
const planOf = (c: Case): SchedulePlan => plans.get(c.seed)!

function apply(c: Case, plan: SchedulePlan): Snapshot {
  const h = new Harness(c.snapshot)
  h.apply(c.request, plan)
  return h.snapshot
}

function siteMatches(s: SiteInfo, p: PlacementSpec | undefined): boolean {
  return (!p?.regions?.length || p.regions.includes(s.region))
    && (!p?.providers?.length || p.providers.includes(s.provider))
    && (!p?.tiers?.length || p.tiers.includes(s.tier))
    && matchesSelector(s.labels, p?.siteSelector)
}

const spec = (c: Case) => c.request.app.spec
const failedMs = (c: Case) => (spec(c).placement?.failover?.afterSeconds ?? 60) * 1000
const dwellMs = (c: Case) => (spec(c).placement?.failover?.returnAfterSeconds ?? 120) * 1000
const isFailed = (c: Case, since: number | undefined) => since !== undefined && NOW - since >= failedMs(c)
const isDwelling = (c: Case, since: number | undefined) => since !== undefined && NOW - since < dwellMs(c)

function siteFailed(c: Case, s: SiteInfo): boolean {
  const nodes = c.snapshot.nodes.filter((n) => n.site === s.name)
  if (nodes.some((n) => n.ready)) return false
  return isFailed(c, s.notReadySince) || (nodes.length > 0 && nodes.every((n) => isFailed(c, n.notReadySince)))
}

test(`modes property: no node is over capacity once the plan (with its preemptions) is applied (${CASES} fleets)`, () => {
  for (const c of cases) {
    const after = apply(c, planOf(c))
    for (const n of after.nodes) {
      const u = used(after, n.name)
      assert.ok(u.cpu <= n.allocatable.cpu && u.memory <= n.allocatable.memory, `seed ${c.seed}: node ${n.name} over capacity`)
    }
  }
})

test(`modes property: placements honour the placement rules, readiness, failover, the return dwell and maxPerSite (${CASES} fleets)`, () => {
  for (const c of cases) {
    const plan = planOf(c)
    const p = spec(c).placement
    for (const pl of plan.place) {
      const s = c.snapshot.sites.find((x) => x.name === pl.site)!
      const n = c.snapshot.nodes.find((x) => x.name === pl.node)!
      assert.equal(n.site, s.name, `seed ${c.seed}`)
      assert.ok(!s.unschedulable && siteMatches(s, p), `seed ${c.seed}: site ${s.name} does not qualify`)
      assert.ok(n.ready && !n.unschedulable, `seed ${c.seed}: node ${n.name} not usable`)
      assert.ok(!isDwelling(c, n.readySince) && !isDwelling(c, s.readySince), `seed ${c.seed}: ${pl.node} is in its return dwell`)
      if (p?.division?.mode === 'weighted') {
        const w = p.division.weights!.filter((e) => (e.site ?? s.name) === s.name && (e.region ?? s.region) === s.region && (e.provider ?? s.provider) === s.provider)
        assert.ok(w.length > 0, `seed ${c.seed}: ${s.name} has no weight entry`)
      }
    }
    const lost = new Set(plan.lost)
    const perSite = new Map<string, number>()
    for (const i of apply(c, plan).instances) {
      if (i.app !== APP || i.revision !== 'r1' || lost.has(i.name)) continue
      perSite.set(i.site, (perSite.get(i.site) ?? 0) + 1)
    }
    for (const [s, k] of perSite) assert.ok(k <= (p?.maxPerSite ?? Infinity), `seed ${c.seed}: ${s} holds ${k}`)
  }
})

test(`modes property: lost instances are exactly this app's on failed nodes or sites, and are never removed (${CASES} fleets)`, () => {
  let seen = 0
  for (const c of cases) {
    const plan = planOf(c)
    const pinned = !!spec(c).placement?.failover?.pinned
    const expected = c.snapshot.instances.filter((i) => {
      if (i.app !== APP || i.revision !== 'r1' || pinned) return false
      const n = c.snapshot.nodes.find((x) => x.name === i.node)
      const s = n && c.snapshot.sites.find((x) => x.name === n.site)
      return !!n && !!s && siteMatches(s, spec(c).placement) && (isFailed(c, n.ready ? undefined : n.notReadySince) || siteFailed(c, s))
    }).map((i) => i.name).sort()
    assert.deepEqual(plan.lost, expected, `seed ${c.seed}`)
    for (const n of plan.lost) assert.ok(!plan.remove.includes(n) && !plan.surplus.includes(n), `seed ${c.seed}: ${n}`)
    for (const n of plan.surplus) assert.ok(!plan.remove.includes(n), `seed ${c.seed}: ${n} both surplus and removed`)
    seen += plan.lost.length
  }
  assert.ok(seen > 5, `the generator should produce lost instances (${seen})`)
})

test(`modes property: victims are other apps of strictly lower priority, within the budget (${CASES} fleets)`, () => {
  let seen = 0
  for (const c of cases) {
    const plan = planOf(c)
    const budget = Math.max(0, (spec(c).placement?.preemption?.maxPerHour ?? 10) - (c.request.recentPreemptions ?? 0))
    assert.ok(plan.preempt.length <= budget, `seed ${c.seed}: ${plan.preempt.length} victims over a budget of ${budget}`)
    const victims = new Set(plan.preempt.map((p) => p.victim))
    for (const p of plan.preempt) {
      const v = c.snapshot.instances.find((i) => i.name === p.victim)!
      assert.ok(v.app !== APP && (v.priority ?? 0) < (spec(c).priority ?? 0), `seed ${c.seed}: ${v.name} may not be preempted`)
      assert.equal(v.node, p.forNode, `seed ${c.seed}`)
    }
    for (const pl of plan.place) for (const a of pl.after ?? []) assert.ok(victims.has(a), `seed ${c.seed}: waits for ${a}, not a victim`)
    if (plan.preempt.length) assert.ok(plan.place.some((pl) => pl.after?.length), `seed ${c.seed}: victims but no placement waits for them`)
    seen += plan.preempt.length
  }
  assert.ok(seen > 3, `the generator should produce preemptions (${seen})`)
})

test(`modes property: the same fleet listed in another order gives the same plan (${CASES} fleets)`, () => {
  for (const c of cases) {
    const g = gen(c.seed ^ 0x5eed)
    const shuffled: Snapshot = { sites: shuffle(g, c.snapshot.sites), nodes: shuffle(g, c.snapshot.nodes), instances: shuffle(g, c.snapshot.instances) }
    const r = { ...c.request, demand: shuffle(g, c.request.demand ?? []) }
    assert.equal(JSON.stringify(schedule(shuffled, r)), JSON.stringify(planOf(c)), `seed ${c.seed}`)
  }
})

test(`modes property: applied plans converge: once replicas are ready, a few plans reach one that places and removes nothing (${CASES} fleets)`, () => {
  let moving = 0
  for (const c of cases) {
    const h = new Harness(c.snapshot)
    let recent = c.request.recentPreemptions ?? 0
    let plan = planOf(c)
    let steps = 0
    let now = NOW
    // Fixed spread never moves replicas: one plan settles it. The target modes move a quarter of
    // the replicas (at least one) per plan, each move waiting for its replacement to be ready.
    // Surplus waiting for a returning site's dwell waits for time: the plan says until when.
    const limit = (spec(c).placement?.division ? spec(c).replicas + 2 : 1) + 1
    for (;;) {
      h.apply(c.request, plan)
      h.setReady(true, (i) => i.app === APP)
      recent += plan.preempt.length
      let next = h.run({ ...c.request, now, recentPreemptions: recent })
      if (!next.place.length && !next.remove.length && next.surplus.length && next.recheckAt) {
        now = next.recheckAt
        next = h.run({ ...c.request, now, recentPreemptions: recent })
      }
      // Settled: nothing to do (surplus may still wait for a NotReady node's instances to be trusted).
      if (!next.place.length && !next.remove.length) break
      // Surplus held by the previous plan may go now that its replacements are ready.
      if (!next.place.length && next.remove.every((n) => plan.surplus.includes(n)) && !next.surplus.length) break
      assert.ok(++steps <= limit, `seed ${c.seed}: still changing after ${steps} plans: ${JSON.stringify({ place: next.place, remove: next.remove, surplus: next.surplus })}`)
      plan = next
    }
    if (steps) moving++
  }
  assert.ok(moving > 0, 'some cases move replicas over several plans')
})

test(`modes property: fixed spread keeps domains within one replica of each other where capacity allows (${CASES} fleets)`, () => {
  let checked = 0
  for (const c of cases) {
    const p = spec(c).placement
    if (p?.division || !c.fresh) continue
    const plan = planOf(c)
    const by = p?.spread?.by ?? 'site'
    const domain = (s: SiteInfo) => (by === 'region' ? s.region : by === 'provider' ? s.provider : s.name)
    const count = new Map<string, number>()
    for (const pl of plan.place) { const d = domain(c.snapshot.sites.find((s) => s.name === pl.site)!); count.set(d, (count.get(d) ?? 0) + 1) }
    if (plan.preempt.length) continue
    const top = Math.max(0, ...count.values())
    // A domain still open (some site could take one more) holds at least top − 1.
    const after = apply(c, plan)
    const request = { cpu: parseCpu(spec(c).template.resources?.cpu), memory: parseMemory(spec(c).template.resources?.memory) }
    for (const s of after.sites) {
      if (s.unschedulable || !siteMatches(s, p) || siteFailed(c, s) || isDwelling(c, s.readySince)) continue
      if ((after.instances.filter((i) => i.app === APP && i.site === s.name).length) >= (p?.maxPerSite ?? Infinity)) continue
      const open = after.nodes.some((n) => n.site === s.name && n.ready && !n.unschedulable && !isDwelling(c, n.readySince) && fits(after, n, request))
      if (!open) continue
      assert.ok((count.get(domain(s)) ?? 0) >= top - 1, `seed ${c.seed}: open domain ${domain(s)} holds ${count.get(domain(s)) ?? 0}, another ${top}`)
      checked++
    }
  }
  assert.ok(checked > 20, `the generator should exercise the skew check (${checked})`)
})

test('modes property: weighted, capacity and demand divide in proportion, within one replica (roomy fleets)', () => {
  const checked: Record<string, number> = { weighted: 0, capacity: 0, demand: 0 }
  for (const c of cases) {
    if (!c.roomy) continue
    const plan = planOf(c)
    const mode = spec(c).placement!.division!.mode!
    const replicas = spec(c).replicas
    const sites = c.snapshot.sites
    const got = (names: string[]) => plan.place.filter((p) => names.includes(p.site)).length
    // Expected shares, derived from the fleet and the spec alone.
    const shares: [string[], number][] = []
    if (mode === 'weighted') {
      const weights = spec(c).placement!.division!.weights!
      const rank = (w: typeof weights[number]) => (w.site !== undefined ? 4 : 0) + (w.region !== undefined ? 1 : 0) + (w.provider !== undefined ? 1 : 0)
      const groups = weights.map(() => [] as string[])
      for (const s of sites) {
        let best = -1
        weights.forEach((w, j) => {
          const match = (w.site ?? s.name) === s.name && (w.region ?? s.region) === s.region && (w.provider ?? s.provider) === s.provider
          if (match && (best < 0 || rank(w) > rank(weights[best]))) best = j
        })
        if (best >= 0) groups[best].push(s.name)
      }
      const total = weights.reduce((a, w, j) => a + (groups[j].length ? w.weight : 0), 0)
      weights.forEach((w, j) => { if (groups[j].length) shares.push([groups[j], total ? (replicas * w.weight) / total : 0]) })
      if (!total) { assert.deepEqual([plan.place.length, plan.unplaced], [0, replicas], `seed ${c.seed}`); continue }
    } else if (mode === 'capacity') {
      const room = (s: SiteInfo) => c.snapshot.nodes.filter((n) => n.site === s.name).reduce((a, n) => a + slots(n, c), 0)
      const total = sites.reduce((a, s) => a + room(s), 0)
      for (const s of sites) shares.push([[s.name], (replicas * room(s)) / total])
    } else {
      const demand = c.request.demand ?? []
      const located = sites.filter((s) => s.geo && c.snapshot.nodes.some((n) => n.site === s.name))
      if (!demand.length || !located.length) continue
      const W = demand.reduce((a, d) => a + d.weight, 0)
      const near = new Map<string, number>()
      for (const d of demand) {
        const best = located.reduce((b, s) => (distanceKm(d.point, s.geo!) < distanceKm(d.point, b.geo!) ? s : b))
        near.set(best.name, (near.get(best.name) ?? 0) + d.weight)
      }
      for (const s of located) shares.push([[s.name], (replicas * (near.get(s.name) ?? 0)) / W])
    }
    for (const [names, share] of shares) {
      assert.ok(Math.abs(got(names) - share) < 1 + 1e-9, `seed ${c.seed} (${mode}): ${names} got ${got(names)}, share ${share.toFixed(2)}`)
    }
    assert.equal(plan.unplaced, 0, `seed ${c.seed}`)
    checked[mode]++
  }
  for (const [mode, n] of Object.entries(checked)) assert.ok(n >= 5, `${mode}: only ${n} roomy cases`)
})

/** Replicas of the case's request that fit on a node (for roomy fleets: nothing else runs there). */
function slots(n: NodeInfo, c: Case): number {
  const cpu = parseCpu(spec(c).template.resources?.cpu)
  const memory = parseMemory(spec(c).template.resources?.memory)
  const unit = cpu > 0 || memory > 0 ? { cpu, memory } : { cpu: 100, memory: 0 }
  return Math.min(unit.cpu > 0 ? Math.floor(n.allocatable.cpu / unit.cpu) : Infinity, unit.memory > 0 ? Math.floor(n.allocatable.memory / unit.memory) : Infinity)
}

test('modes property: the generator covers every mode, failover, dwell, preemption and shortfalls', () => {
  const all = cases.map(planOf)
  for (const m of MODES) assert.ok(cases.some((c) => (spec(c).placement?.division?.mode ?? 'fixed') === m))
  assert.ok(all.filter((p) => p.unplaced > 0).length > 20)
  assert.ok(all.filter((p) => p.surplus.length > 0).length > 0, 'some surplus held')
  assert.ok(all.filter((p) => p.decisions.some((d) => d.reason.includes('returning'))).length > 5)
  assert.ok(all.filter((p) => p.recheckAt !== undefined).length > 5)
})
