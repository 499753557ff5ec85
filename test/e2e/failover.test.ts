// Site failover with real processes on loopback (issue 6): kill -9 a site's agent and its
// instance processes; a replacement runs at the other site within afterSeconds plus the node
// grace and a few seconds, and the lost instance stays in the store (never deleted while its node
// is unreachable). `describe app` explains it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { api, cli, instanceProcesses, killTree, pidRunning, waitUntil, workloadManifest } from './fleet-helpers.js'
import { API, listInstances, listNodes, readyCondition, startFleet, waitForReady } from './autonomy-fixture.js'

const GRACE_S = 2
const AFTER_S = 2

test('kill a site\'s agent and its instances: a replacement is ready at the other site within afterSeconds + grace + a few seconds', { timeout: 120_000 }, async (t) => {
  const began = Date.now()
  const mark = (what: string) => t.diagnostic(`${what} at ${((Date.now() - began) / 1000).toFixed(1)}s`)
  const fleet = await startFleet(t, 'failover', [{ site: 'ams', address: '127.0.41.1' }, { site: 'bcn', address: '127.0.42.1' }],
    ['--heartbeat-seconds', '1', '--node-grace-seconds', String(GRACE_S)])
  mark('fleet ready')
  // Applied through the API (a CLI process costs seconds on a loaded machine; describe below uses the CLI).
  const applied = await api(fleet.server.url, fleet.server.token, 'PATCH', `${API}/namespaces/default/apps/web`, workloadManifest('web', { replicas: 1, extra: `  placement:
    siteSelector: {matchLabels: ${JSON.stringify(fleet.allSites)}}
    failover: {afterSeconds: ${AFTER_S}, returnAfterSeconds: 60}
` }))
  assert.equal(applied.status, 201, JSON.stringify(applied.body))
  const [first] = await waitForReady(fleet.server, 'web', 1)
  mark('instance ready')
  const dead = fleet.nodes.find((n) => n.name === first.spec.node)!
  const other = fleet.nodes.find((n) => n !== dead)!
  const processes = instanceProcesses([dead.name])
  assert.deepEqual(processes.map((p) => p.instance), [first.metadata.name], 'one instance process on the node that will die')

  // The whole site dies: its agent and its instance processes, without a chance to say goodbye.
  const killedAt = Date.now()
  await fleet.agents.get(dead.name)!.kill('SIGKILL')
  killTree(processes.map((p) => p.pid))
  await waitUntil('the instance process to die', () => processes.every((p) => !pidRunning(p.pid)) || undefined)

  const replacement = await waitUntil('a ready replacement at the other site', async () => {
    const items = await listInstances(fleet.server)
    return items.find((i) => i.spec.app === 'web' && i.spec.site === other.site && i.status?.ready)
  }, 60_000)
  const seconds = (Date.now() - killedAt) / 1000
  t.diagnostic(`failover: replacement ready ${seconds.toFixed(1)}s after the kill (afterSeconds ${AFTER_S}, node grace ${GRACE_S}s)`)
  assert.ok(seconds < AFTER_S + GRACE_S + 6, `replacement ready after ${seconds.toFixed(1)}s`)
  assert.equal(replacement.spec.revision, first.spec.revision, 'the replacement runs the same revision')

  // The node is NotReady, and the lost instance is still there: kept, not counted, not deleted.
  const node = (await listNodes(fleet.server)).find((n) => n.metadata.name === dead.name)
  assert.equal(readyCondition(node)?.status, 'False')
  const items = (await listInstances(fleet.server)).filter((i) => i.spec.app === 'web')
  assert.deepEqual(items.map((i) => i.metadata.name).sort(), [first.metadata.name, replacement.metadata.name].sort())
  const lost = items.find((i) => i.metadata.name === first.metadata.name)
  assert.equal(lost.status?.ready, false)

  mark('replacement checked')
  const { body: { status } } = await api(fleet.server.url, fleet.server.token, 'GET', `${API}/namespaces/default/apps/web`)
  const deadSite = status.placement.decisions.find((d: any) => d.site === dead.site)
  assert.equal(deadSite.lost, 1)
  assert.match(status.conditions.find((c: any) => c.type === 'Scheduled').message, /1 lost on failed-over nodes/)
  assert.equal(status.conditions.find((c: any) => c.type === 'Available').status, 'True')

  const described = await cli(['describe', 'app', 'web'], fleet.env())
  assert.equal(described.code, 0, described.stderr)
  assert.match(described.stdout, /Placement:\n\s+SITE\s+REPLICAS\s+TARGET\s+SCORE\s+DECISION/)
  assert.match(described.stdout, new RegExp(`${dead.site}\\s+0\\s+-\\s+\\S+\\s+0: failed over \\(NotReady \\d+s\\); 1 lost on failed nodes`))
  assert.match(described.stdout, new RegExp(`${other.site}\\s+1\\s+`))
  assert.match(described.stdout, new RegExp(`FailedOver\\s+1\\s+failed over: 1 instance\\(s\\) lost on site ${dead.site}`))

  mark('described')
  // Later reconciles still keep it.
  await new Promise((r) => setTimeout(r, 2000))
  assert.ok((await listInstances(fleet.server)).some((i) => i.metadata.name === first.metadata.name), 'still kept 2 s later')
})
