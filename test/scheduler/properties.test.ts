// Property tests over ~200 random fleets from a seeded PRNG (so a failure names a seed that
// reproduces it). The checks re-derive the rules independently of the scheduler's own helpers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { matchesSelector } from '../../src/api/labels.js'
import { parseCpu, parseMemory } from '../../src/api/quantity.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import type { NodeInfo, PlacedInstance, Plan, ScheduleRequest, SiteInfo, Snapshot } from '../../src/scheduler/types.js'
import { APP, Gi, Harness, Mi, gen, inst, node, req, shuffle, site, fits, used } from './harness.js'

const CASES = 200

const REGIONS = ['eu', 'us', 'ap'] as const
const PROVIDERS = ['p1', 'p2', 'p3'] as const

interface Case { seed: number; snapshot: Snapshot; request: ScheduleRequest; fresh: boolean }

function makeCase(seed: number): Case {
  const g = gen(seed)
  const sites: SiteInfo[] = []
  const nodes: NodeInfo[] = []
  for (let i = 0, n = g.int(1, 12); i < n; i++) {
    const name = `site-${String(i).padStart(2, '0')}`
    sites.push(site(name, {
      region: g.pick(REGIONS), provider: g.pick(PROVIDERS), tier: g.chance(0.25) ? 'central' : 'edge',
      labels: g.chance(0.8) ? { zone: g.pick(['a', 'b']) } : {}, unschedulable: g.chance(0.1),
    }))
    for (let j = 0, m = g.int(0, 4); j < m; j++) {
      nodes.push(node(`${name}-n${j}`, name, {
        ready: g.chance(0.85), unschedulable: g.chance(0.1),
        cpu: g.pick([0, 500, 1000, 2000, 4000]), memory: g.pick([512 * Mi, Gi, 2 * Gi, 4 * Gi]),
      }))
    }
  }
  const snapshot: Snapshot = { sites, nodes, instances: [] }
  const fresh = g.chance(0.4)
  // Other apps, other revisions and (unless fresh) this revision, each only where it fits, so the
  // starting fleet is within capacity and any overcommit afterwards is the scheduler's doing.
  for (let k = 0, n = nodes.length ? g.int(0, 30) : 0; k < n; k++) {
    const nd = g.pick(nodes)
    const kind = g.int(0, 2)
    if (fresh && kind === 2) continue
    const request = { cpu: g.pick([0, 100, 250, 1000]), memory: g.pick([0, 128 * Mi, 512 * Mi]) }
    if (!fits(snapshot, nd, request)) continue
    const over: Partial<PlacedInstance> = kind === 0 ? { app: 'default/other' } : kind === 1 ? { revision: 'r0' } : {}
    snapshot.instances.push(inst(`i-${String(k).padStart(3, '0')}`, nd.name, nd.site, { ...over, request }))
  }
  // A few instances on nodes that are gone.
  if (!fresh && g.chance(0.2)) snapshot.instances.push(inst('i-ghost', 'gone-node', 'gone-site'))

  const placement: PlacementSpec = { spread: { by: g.pick(['site', 'region', 'provider'] as const) } }
  if (g.chance(0.3)) placement.regions = shuffle(g, REGIONS).slice(0, g.int(1, 2))
  if (g.chance(0.2)) placement.providers = shuffle(g, PROVIDERS).slice(0, g.int(1, 2))
  if (g.chance(0.2)) placement.tiers = [g.pick(['edge', 'central'] as const)]
  if (g.chance(0.2)) placement.siteSelector = { matchLabels: { zone: g.pick(['a', 'b']) } }
  if (g.chance(0.3)) placement.maxPerSite = g.int(1, 4)
  const request = req({
    replicas: g.int(0, 15),
    cpu: g.pick([null, '100m', '250m', '1']),
    memory: g.pick([null, '128Mi', '512Mi', '1Gi']),
    placement,
  })
  return { seed, snapshot, request, fresh }
}

const cases = Array.from({ length: CASES }, (_, i) => makeCase(1000 + i))

function apply(c: Case, plan: Plan): Harness {
  const h = new Harness(c.snapshot)
  h.apply(c.request, plan)
  return h
}

function siteMatches(s: SiteInfo, p: PlacementSpec | undefined): boolean {
  return (!p?.regions?.length || p.regions.includes(s.region))
    && (!p?.providers?.length || p.providers.includes(s.provider))
    && (!p?.tiers?.length || p.tiers.includes(s.tier))
    && matchesSelector(s.labels, p?.siteSelector)
}

function appRequestOf(c: Case) {
  const r = c.request.app.spec.template.resources
  return { cpu: parseCpu(r?.cpu), memory: parseMemory(r?.memory) }
}

function own(s: Snapshot): PlacedInstance[] {
  return s.instances.filter((i) => i.app === APP && i.revision === 'r1')
}

test(`property: no node is ever over capacity (${CASES} fleets)`, () => {
  for (const c of cases) {
    const after = apply(c, schedule(c.snapshot, c.request)).snapshot
    for (const n of after.nodes) {
      const u = used(after, n.name)
      assert.ok(u.cpu <= n.allocatable.cpu && u.memory <= n.allocatable.memory, `seed ${c.seed}: node ${n.name} over capacity`)
    }
  }
})

test(`property: every placement satisfies the filters and maxPerSite (${CASES} fleets)`, () => {
  for (const c of cases) {
    const plan = schedule(c.snapshot, c.request)
    const p = c.request.app.spec.placement
    for (const pl of plan.place) {
      const s = c.snapshot.sites.find((x) => x.name === pl.site)
      const n = c.snapshot.nodes.find((x) => x.name === pl.node)
      assert.ok(s && n, `seed ${c.seed}: unknown site or node`)
      assert.equal(n.site, s.name, `seed ${c.seed}`)
      assert.ok(!s.unschedulable && siteMatches(s, p), `seed ${c.seed}: site ${s.name} does not qualify`)
      assert.ok(n.ready && !n.unschedulable, `seed ${c.seed}: node ${n.name} not usable`)
    }
    const after = apply(c, plan).snapshot
    const perSite = new Map<string, number>()
    for (const i of own(after)) {
      const n = after.nodes.find((x) => x.name === i.node)
      assert.ok(n, `seed ${c.seed}: ${i.name} kept on a node that is gone`)
      const s = after.sites.find((x) => x.name === n.site)!
      assert.ok(siteMatches(s, p), `seed ${c.seed}: ${i.name} kept on non-matching site ${s.name}`)
      perSite.set(n.site, (perSite.get(n.site) ?? 0) + 1)
    }
    for (const [s, k] of perSite) assert.ok(k <= (p?.maxPerSite ?? Infinity), `seed ${c.seed}: ${s} holds ${k}`)
  }
})

test(`property: replicas are accounted for and the message agrees (${CASES} fleets)`, () => {
  for (const c of cases) {
    const plan = schedule(c.snapshot, c.request)
    const replicas = c.request.app.spec.replicas
    const after = own(apply(c, plan).snapshot)
    assert.equal(after.length, replicas - plan.unplaced, `seed ${c.seed}`)
    assert.ok(plan.unplaced >= 0 && plan.unplaced <= replicas, `seed ${c.seed}`)
    if (plan.unplaced) {
      const total = Object.values(plan.reasons).reduce((a, b) => a + b, 0)
      assert.equal(total, c.snapshot.sites.length, `seed ${c.seed}: one reason per site`)
      assert.match(plan.message, new RegExp(`^0/${c.snapshot.sites.length} sites available`), `seed ${c.seed}`)
    } else {
      assert.deepEqual(plan.reasons, {})
      const sites = new Set(after.map((i) => c.snapshot.nodes.find((n) => n.name === i.node)!.site)).size
      assert.equal(plan.message, `${replicas}/${replicas} replicas placed on ${sites} ${sites === 1 ? 'site' : 'sites'}`)
    }
  }
})

test(`property: applying the plan and scheduling again changes nothing (${CASES} fleets)`, () => {
  for (const c of cases) {
    const plan = schedule(c.snapshot, c.request)
    const again = schedule(apply(c, plan).snapshot, c.request)
    assert.deepEqual({ place: again.place, remove: again.remove, unplaced: again.unplaced }, { place: [], remove: [], unplaced: plan.unplaced }, `seed ${c.seed}`)
  }
})

test(`property: the same fleet listed in another order gives the same plan (${CASES} fleets)`, () => {
  for (const c of cases) {
    const g = gen(c.seed ^ 0x5eed)
    const shuffled: Snapshot = {
      sites: shuffle(g, c.snapshot.sites),
      nodes: shuffle(g, c.snapshot.nodes),
      instances: shuffle(g, c.snapshot.instances),
    }
    // Compared as JSON so that even the key order of `reasons` must match.
    assert.equal(JSON.stringify(schedule(shuffled, c.request)), JSON.stringify(schedule(c.snapshot, c.request)), `seed ${c.seed}`)
  }
})

test(`property: spread skew between domains is at most 1 wherever capacity allows (${CASES} fleets)`, () => {
  let checked = 0
  for (const c of cases) {
    const plan = schedule(c.snapshot, c.request)
    const after = apply(c, plan).snapshot
    const p = c.request.app.spec.placement
    const by = p?.spread?.by ?? 'site'
    const cap = p?.maxPerSite ?? Infinity
    const request = appRequestOf(c)
    const siteOf = new Map(after.sites.map((s) => [s.name, s]))
    const domainOf = (s: SiteInfo) => (by === 'region' ? s.region : by === 'provider' ? s.provider : s.name)
    const nodeSite = new Map(after.nodes.map((n) => [n.name, siteOf.get(n.site)!]))

    const siteCount = new Map<string, number>()
    const domainCount = new Map<string, number>()
    for (const i of own(after)) {
      const s = nodeSite.get(i.node)!
      siteCount.set(s.name, (siteCount.get(s.name) ?? 0) + 1)
      domainCount.set(domainOf(s), (domainCount.get(domainOf(s)) ?? 0) + 1)
    }
    // A domain is open when one of its sites could still take a replica right now.
    const open = new Set<string>()
    for (const s of after.sites) {
      if (s.unschedulable || !siteMatches(s, p) || (siteCount.get(s.name) ?? 0) >= cap) continue
      if (after.nodes.some((n) => n.site === s.name && n.ready && !n.unschedulable && fits(after, n, request))) open.add(domainOf(s))
    }
    if (plan.unplaced) assert.equal(open.size, 0, `seed ${c.seed}: replicas left over while ${[...open]} could take one`)
    // Every domain that got a new replica is at most one above every domain that is still open
    // (with a fresh fleet: every domain at all).
    const receivers = new Set(plan.place.map((pl) => domainOf(siteOf.get(pl.site)!)))
    const top = c.fresh ? Math.max(0, ...domainCount.values()) : Math.max(0, ...[...receivers].map((d) => domainCount.get(d)!))
    for (const d of open) {
      assert.ok((domainCount.get(d) ?? 0) >= top - 1, `seed ${c.seed}: open domain ${d} holds ${domainCount.get(d) ?? 0}, another ${top}`)
      checked++
    }
  }
  assert.ok(checked > 50, `the generator should exercise the skew check (${checked})`)
})

test('property: the generator covers shortfalls, removals, full placements and every spread key', () => {
  const plans = cases.map((c) => schedule(c.snapshot, c.request))
  assert.ok(plans.filter((p) => p.unplaced > 0).length > 20)
  assert.ok(plans.filter((p) => p.unplaced === 0 && p.place.length > 0).length > 20)
  assert.ok(plans.filter((p) => p.remove.length > 0).length > 10)
  for (const by of ['site', 'region', 'provider']) assert.ok(cases.some((c) => c.request.app.spec.placement?.spread?.by === by))
})
