// Edge autonomy on reconnect, with real processes on loopback (issue 3): desired state changed while
// an agent was away is applied exactly once when it is back, and a server restored from an older
// backup cannot roll an agent back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cli, instanceProcesses, pidRunning, Prober, waitUntil } from './fleet-helpers.js'
import { hello, listInstances, logged, pidsOf, readyCondition, listNodes, SERVER_FLAGS, startFleet, waitForNodes, waitForReady } from './autonomy-fixture.js'

test('desired state changed while the agent is away is applied exactly once when it is back', { timeout: 300_000 }, async (t) => {
  // A NotReady node gets no new instances (by design), so the grace is long enough here for the
  // scale-up to land on the disconnected node; NotReady after the grace is covered in autonomy.test.ts.
  const fleet = await startFleet(t, 'offline-change', [{ site: 'gent', address: '127.0.34.1' }], ['--heartbeat-seconds', '1', '--node-grace-seconds', '60'])
  const node = fleet.nodes[0]
  const here = { autonomy: 'gent' }
  for (const app of ['keep', 'grow', 'gone']) {
    const applied = await cli(['apply', '-f', fleet.manifest(app, 1, here)], fleet.env())
    assert.equal(applied.code, 0, applied.stderr)
  }
  const [keep] = await waitForReady(fleet.server, 'keep', 1)
  const [grow1] = await waitForReady(fleet.server, 'grow', 1)
  const [gone] = await waitForReady(fleet.server, 'gone', 1)
  const pids = pidsOf([keep, grow1, gone])
  assert.equal(instanceProcesses([node.name]).length, 3)
  const prober = new Prober([keep, grow1].map((i) => ({ name: i.metadata.name, endpoint: i.status.endpoints.http })))
  t.after(() => prober.stop())
  await prober.rounds(3)

  // SIGTERM: the agent stops, its instances stay (that is the default).
  const first = fleet.agents.get(node.name)!
  await first.kill('SIGTERM')
  assert.equal(first.proc.exitCode, 0, first.output())
  for (const [name, pid] of Object.entries(pids)) assert.ok(pidRunning(pid), `${name} outlives its stopped agent`)
  const disconnected = await waitUntil('the server to see the link closed', async () => {
    const n = (await listNodes(fleet.server)).find((x) => x.metadata.name === node.name)
    return n?.status?.link?.state === 'Disconnected' ? n : undefined
  }, 30_000)
  assert.equal(disconnected.status.link.reason, 'LinkClosed')
  assert.equal(readyCondition(disconnected).status, 'True', 'still within the grace')
  const shown = await cli(['get', 'nodes'], fleet.env())
  assert.match(shown.stdout, new RegExp(`${node.name}\\s+gent\\s+Ready\\s+Disconnected \\(LinkClosed\\)\\s`))

  // While it is away: one more replica of grow on its site, and gone deleted.
  const scaled = await cli(['apply', '-f', fleet.manifest('grow', 2, here)], fleet.env())
  assert.equal(scaled.code, 0, scaled.stderr)
  const deleted = await cli(['delete', 'app', 'gone'], fleet.env())
  assert.equal(deleted.code, 0, deleted.stderr)
  const grow2 = await waitUntil('the second grow instance to be placed on the node', async () => {
    const items = await listInstances(fleet.server)
    const extra = items.filter((i) => i.spec.app === 'grow' && i.metadata.name !== grow1.metadata.name)
    return extra.length === 1 && !items.some((i) => i.spec.app === 'gone') ? extra[0] : undefined
  }, 60_000)
  assert.equal(grow2.spec.node, node.name)
  assert.ok(pidRunning(pids[gone.metadata.name]), 'nothing stops an instance while its agent is away')
  assert.equal(instanceProcesses([node.name]).length, 3, 'nothing starts one either')

  // Back: adopts the three it had, starts the new one once, stops the deleted one.
  const second = fleet.startAgent(node.name)
  await waitUntil('the deleted app\'s process to be stopped', () => !pidRunning(pids[gone.metadata.name]), 60_000)
  const grown = await waitForReady(fleet.server, 'grow', 2)
  const started = grown.find((i) => i.metadata.name === grow2.metadata.name)!
  assert.equal(started.status.restarts, 0)
  assert.equal(started.status.reason, 'Started')
  assert.ok(!Object.values(pids).includes(started.status.pid))
  assert.equal((await hello(started.status.endpoints.http)).pid, started.status.pid, 'the new instance serves')
  for (const i of [keep, grow1]) {
    const now = (await listInstances(fleet.server)).find((x) => x.metadata.name === i.metadata.name)
    assert.equal(now.status.pid, i.status.pid, `${i.metadata.name} kept its process`)
    assert.equal(now.status.restarts, 0)
  }
  const expected = [pids[keep.metadata.name], pids[grow1.metadata.name], started.status.pid].sort((a, b) => a - b)

  // Whatever a second application of the change would do, give it time to show.
  await prober.rounds(30)
  assert.deepEqual(instanceProcesses([node.name]).map((p) => p.pid), expected, 'exactly one process per desired instance')
  assert.equal(logged(second, 'adopting instance'), 3, 'keep, grow and gone were adopted from local state')
  assert.equal(logged(second, 'starting instance'), 1, 'one instance started')
  assert.equal(logged(second, 'starting instance', grow2.metadata.name), 1, 'the new grow instance, once')
  assert.equal(logged(second, 'stopping instance'), 1, 'one instance stopped')
  assert.equal(logged(second, 'stopping instance', gone.metadata.name), 1, 'the deleted app\'s')

  // And once more: a restart of the agent (kill -9) with the server up changes nothing at all.
  await second.kill('SIGKILL')
  const third = fleet.startAgent(node.name)
  await waitForReady(fleet.server, 'grow', 2, (i) => i.status.reason === 'Adopted')
  await prober.rounds(20)
  await prober.stop()
  assert.equal(logged(third, 'adopting instance'), 3)
  assert.equal(logged(third, 'starting instance'), 0)
  assert.equal(logged(third, 'stopping instance'), 0)
  assert.deepEqual(instanceProcesses([node.name]).map((p) => p.pid), expected)
  assert.deepEqual(prober.failures, [], 'the untouched instances answered throughout')
  for (const i of [keep, grow1]) assert.deepEqual([...prober.pids.get(i.metadata.name)!], [i.status.pid])
  const final = await listInstances(fleet.server)
  assert.deepEqual(final.map((i) => i.spec.app).sort(), ['grow', 'grow', 'keep'], 'no duplicate, nothing left of gone')
  assert.ok(final.every((i) => i.status.restarts === 0 && i.status.phase === 'Running' && i.status.ready))
})

test('a server restored from an older backup cannot roll an agent back', { timeout: 300_000 }, async (t) => {
  const fleet = await startFleet(t, 'stale', [{ site: 'bern', address: '127.0.35.1' }])
  const node = fleet.nodes[0]
  const here = { autonomy: 'bern' }
  const applied = await cli(['apply', '-f', fleet.manifest('web', 1, here)], fleet.env())
  assert.equal(applied.code, 0, applied.stderr)
  const [web] = await waitForReady(fleet.server, 'web', 1)

  // The backup: the server's data dir, taken while it is stopped.
  await fleet.server.kill('SIGTERM')
  const backup = join(fleet.dir, 'server-backup')
  cpSync(fleet.serverDir, backup, { recursive: true })
  let restartedAt = Date.now()
  await fleet.restartServer()
  await waitForNodes(fleet.server, [node.name], restartedAt)

  // Life goes on after the backup: a newer app.
  const newer = await cli(['apply', '-f', fleet.manifest('newer', 1, here)], fleet.env())
  assert.equal(newer.code, 0, newer.stderr)
  const [added] = await waitForReady(fleet.server, 'newer', 1)
  const state = () => JSON.parse(readFileSync(join(node.dataDir, 'state.json'), 'utf8')) as { desired: { version: number; instances: { uid: string }[] } }
  const held = await waitUntil('the agent to hold the newer document', () => {
    const s = state()
    return s.desired.instances.some((i) => i.uid === added.metadata.uid) ? s.desired : undefined
  })
  const prober = new Prober([web, added].map((i) => ({ name: i.metadata.name, endpoint: i.status.endpoints.http })))
  t.after(() => prober.stop())
  await prober.rounds(3)

  // The server is lost and restored from the backup, which knows nothing of the newer app.
  await fleet.server.kill('SIGKILL')
  rmSync(fleet.serverDir, { recursive: true, force: true })
  cpSync(backup, fleet.serverDir, { recursive: true })
  restartedAt = Date.now()
  await fleet.restartServer(SERVER_FLAGS)
  await waitForNodes(fleet.server, [node.name], restartedAt)
  const agent = fleet.agents.get(node.name)!
  await waitUntil('the agent to refuse the older document', () => agent.output().includes('server offers an older desired state'), 60_000)
  assert.deepEqual((await listInstances(fleet.server)).map((i) => i.spec.app), ['web'], 'the restored server knows only the old state')

  await prober.rounds(30)
  await prober.stop()
  assert.deepEqual(prober.failures, [], 'both instances answered throughout')
  assert.deepEqual([...prober.pids.get(added.metadata.name)!], [added.status.pid], 'the newer instance keeps running')
  assert.deepEqual([...prober.pids.get(web.metadata.name)!], [web.status.pid])
  assert.deepEqual(instanceProcesses([node.name]).map((p) => p.pid), [web.status.pid, added.status.pid].sort((a, b) => a - b))
  assert.equal(logged(agent, 'stopping instance'), 0, 'nothing was rolled back')
  assert.deepEqual(state().desired, held, 'the agent still holds the newer document')
})
