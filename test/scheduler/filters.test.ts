// Each site filter, alone, with the reason it is counted under.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schedule } from '../../src/scheduler/schedule.js'
import { REASON } from '../../src/scheduler/feasibility.js'
import type { Placement as PlacementSpec } from '../../src/api/kinds/index.js'
import type { NodeInfo, SiteInfo } from '../../src/scheduler/types.js'
import { node, req, site, snap } from './harness.js'

interface Case {
  name: string
  site?: Partial<SiteInfo>
  nodes?: Partial<NodeInfo>[]
  placement?: PlacementSpec
  reason: string | null // null: the site takes the replica
}

const cases: Case[] = [
  { name: 'no constraints', reason: null },
  { name: 'site unschedulable', site: { unschedulable: true }, reason: REASON.siteUnschedulable },
  { name: 'unschedulable wins over other mismatches', site: { unschedulable: true, region: 'us' }, placement: { regions: ['eu'] }, reason: REASON.siteUnschedulable },
  { name: 'region matches', placement: { regions: ['us', 'eu'] }, reason: null },
  { name: 'region mismatch', site: { region: 'us' }, placement: { regions: ['eu'] }, reason: REASON.region },
  { name: 'empty regions list constrains nothing', site: { region: 'us' }, placement: { regions: [] }, reason: null },
  { name: 'provider mismatch', site: { provider: 'acme' }, placement: { providers: ['own'] }, reason: REASON.provider },
  { name: 'provider matches', site: { provider: 'acme' }, placement: { providers: ['acme'] }, reason: null },
  { name: 'tier mismatch', site: { tier: 'central' }, placement: { tiers: ['edge'] }, reason: REASON.tier },
  { name: 'tier matches', site: { tier: 'central' }, placement: { tiers: ['central'] }, reason: null },
  { name: 'selector matchLabels mismatch', site: { labels: { gpu: 'no' } }, placement: { siteSelector: { matchLabels: { gpu: 'yes' } } }, reason: REASON.selector },
  { name: 'selector matchLabels match', site: { labels: { gpu: 'yes' } }, placement: { siteSelector: { matchLabels: { gpu: 'yes' } } }, reason: null },
  { name: 'selector NotIn', site: { labels: { city: 'paris' } }, placement: { siteSelector: { matchExpressions: [{ key: 'city', operator: 'NotIn', values: ['paris'] }] } }, reason: REASON.selector },
  { name: 'selector Exists on missing label', placement: { siteSelector: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] } }, reason: REASON.selector },
  { name: 'no nodes', nodes: [], reason: REASON.noReadyNodes },
  { name: 'only NotReady nodes', nodes: [{ ready: false }], reason: REASON.noReadyNodes },
  { name: 'only cordoned nodes', nodes: [{ unschedulable: true }], reason: REASON.noReadyNodes },
  { name: 'one usable node among bad ones', nodes: [{ ready: false }, { unschedulable: true }, {}], reason: null },
]

for (const c of cases) {
  test(`filter: ${c.name}`, () => {
    const nodes = (c.nodes ?? [{}]).map((over, i) => node(`n${i}`, 'a', over))
    const plan = schedule(snap([site('a', c.site)], nodes), req({ replicas: 1, placement: c.placement }))
    if (c.reason === null) {
      assert.equal(plan.place.length, 1)
      assert.equal(plan.place[0].site, 'a')
      assert.equal(plan.unplaced, 0)
      assert.deepEqual(plan.reasons, {})
      assert.equal(plan.message, '1/1 replicas placed on 1 site')
    } else {
      assert.deepEqual(plan.place, [])
      assert.equal(plan.unplaced, 1)
      assert.deepEqual(plan.reasons, { [c.reason]: 1 })
      assert.equal(plan.message, `0/1 sites available: 1 ${c.reason}`)
    }
  })
}

test('filter: placement only goes to usable nodes of a matching site', () => {
  const plan = schedule(
    snap([site('a')], [node('n0', 'a', { ready: false, cpu: 64000 }), node('n1', 'a', { unschedulable: true, cpu: 64000 }), node('n2', 'a')]),
    req({ replicas: 3 }),
  )
  assert.deepEqual(plan.place.map((p) => p.node), ['n2', 'n2', 'n2'])
})

test('filter: nodes of a site missing from the snapshot are never used', () => {
  const plan = schedule(snap([site('a')], [node('ghost-n', 'ghost', { cpu: 64000 }), node('a-n', 'a', { cpu: 100 })]), req({ replicas: 2 }))
  assert.deepEqual(plan.place, [{ node: 'a-n', site: 'a' }])
  assert.deepEqual(plan.reasons, { [REASON.cpu]: 1 })
})
