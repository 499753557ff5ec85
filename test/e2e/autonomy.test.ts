// Edge autonomy with real processes on loopback (issue 3): instances outlive the server and their
// own agent, keep answering HTTP throughout, and are re-adopted, never restarted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cli, instanceProcesses, pidRunning, Prober, waitUntil } from './fleet-helpers.js'
import { hello, listInstances, listNodes, logged, pidsOf, readyCondition, startFleet, waitForNodes, waitForReady } from './autonomy-fixture.js'

test('kill -9 the server while instances serve: they keep serving; a restarted server restarts nothing', { timeout: 300_000 }, async (t) => {
  const fleet = await startFleet(t, 'srvkill', [{ site: 'nice', address: '127.0.31.1' }, { site: 'porto', address: '127.0.32.1' }])
  const nodeNames = fleet.nodes.map((n) => n.name)
  const applied = await cli(['apply', '-f', fleet.manifest('web', 4, fleet.allSites, { spreadBySite: true })], fleet.env())
  assert.equal(applied.code, 0, applied.stderr)

  const before = await waitForReady(fleet.server, 'web', 4)
  const pids = pidsOf(before)
  assert.deepEqual(before.map((i) => i.spec.site).sort(), ['nice', 'nice', 'porto', 'porto'], 'spread over both sites')
  for (const i of before) {
    assert.equal(i.status.restarts, 0)
    const answer = await hello(i.status.endpoints.http)
    assert.equal(answer.instance, i.metadata.name)
    assert.equal(answer.pid, i.status.pid, 'the status pid is the process answering')
  }
  const processes = instanceProcesses(nodeNames)
  assert.deepEqual(processes.map((p) => p.pid), Object.values(pids).sort((a, b) => a - b), 'one process per instance, nothing else')

  const prober = new Prober(before.map((i) => ({ name: i.metadata.name, endpoint: i.status.endpoints.http })))
  t.after(() => prober.stop())
  await prober.rounds(3)
  await fleet.server.kill('SIGKILL')

  // Both agents notice, and every instance goes on answering while there is no control plane.
  for (const n of fleet.nodes) await waitUntil(`agent ${n.name} to see the link go down`, () => logged(fleet.agents.get(n.name)!, 'link down') >= 1)
  await prober.rounds(40)
  assert.deepEqual(prober.failures, [], 'every instance answered while the server was down')
  for (const [name, agent] of fleet.agents) assert.equal(agent.proc.exitCode, null, `agent ${name} keeps running without a server`)
  assert.deepEqual(instanceProcesses(nodeNames), processes, 'no instance process stopped or started while the server was down')

  const restartedAt = Date.now()
  const server = await fleet.restartServer()
  await waitForNodes(server, nodeNames, restartedAt)
  const after = await waitForReady(server, 'web', 4, (i) => pids[i.metadata.name] === i.status.pid)
  for (const i of after) {
    assert.equal(i.status.restarts, 0, `${i.metadata.name} was never restarted`)
    assert.equal(i.status.reason, 'Started', `${i.metadata.name} is still the process its agent started`)
  }
  // Whatever the reconnect would wrongly do (restart, stop, duplicate), give it time to show.
  await prober.rounds(30)
  await prober.stop()
  assert.deepEqual(prober.failures, [], 'every instance answered throughout')
  for (const i of before) assert.deepEqual([...prober.pids.get(i.metadata.name)!], [pids[i.metadata.name]], `${i.metadata.name} was always answered by the same process`)
  assert.deepEqual(instanceProcesses(nodeNames), processes, 'the same instance processes, no more, no fewer')
  assert.deepEqual(pidsOf(await listInstances(server)), pids, 'the same instances with the same pids')
  for (const [name, agent] of fleet.agents) {
    assert.equal(logged(agent, 'starting instance'), 2, `agent ${name} started its two instances once, at the beginning`)
    assert.equal(logged(agent, 'stopping instance'), 0, `agent ${name} stopped nothing`)
    assert.ok(logged(agent, 'link up') >= 2, `agent ${name} reconnected`)
  }
  const nodes = await cli(['get', 'nodes'], fleet.env())
  assert.equal(nodes.code, 0, nodes.stderr)
  for (const n of nodeNames) assert.match(nodes.stdout, new RegExp(`${n}\\s+\\S+\\s+Ready\\s+Connected\\s`))
})

test('kill -9 the agent: its instances keep serving; restarted with the server down, then the server up: re-adopted, zero restarts', { timeout: 300_000 }, async (t) => {
  const fleet = await startFleet(t, 'agentkill', [{ site: 'graz', address: '127.0.33.1' }])
  const node = fleet.nodes[0]
  const applied = await cli(['apply', '-f', fleet.manifest('svc', 2, { autonomy: 'graz' })], fleet.env())
  assert.equal(applied.code, 0, applied.stderr)
  const before = await waitForReady(fleet.server, 'svc', 2)
  const pids = pidsOf(before)
  const processes = instanceProcesses([node.name])
  assert.deepEqual(processes.map((p) => p.pid), Object.values(pids).sort((a, b) => a - b))
  const prober = new Prober(before.map((i) => ({ name: i.metadata.name, endpoint: i.status.endpoints.http })))
  t.after(() => prober.stop())
  await prober.rounds(3)

  await fleet.agents.get(node.name)!.kill('SIGKILL')
  for (const pid of Object.values(pids)) assert.ok(pidRunning(pid), `instance process ${pid} outlives its agent`)

  // The server sees the link closed at once, and the node NotReady after the grace, for that reason.
  const notReady = await waitUntil('the node to become NotReady', async () => {
    const n = (await listNodes(fleet.server)).find((x) => x.metadata.name === node.name)
    return readyCondition(n)?.status === 'False' ? n : undefined
  }, 60_000)
  assert.equal(notReady.status.link.state, 'Disconnected')
  assert.equal(notReady.status.link.reason, 'LinkClosed')
  assert.equal(readyCondition(notReady).reason, 'LinkClosed')
  const shown = await cli(['get', 'nodes'], fleet.env())
  assert.equal(shown.code, 0, shown.stderr)
  assert.match(shown.stdout, new RegExp(`${node.name}\\s+graz\\s+NotReady \\(LinkClosed\\)\\s+Disconnected \\(LinkClosed\\)\\s`))
  // Its instances are Unknown to the control plane, not deleted (they most likely still serve: they do).
  const unknown = await waitUntil('instances marked Unknown', async () => {
    const items = (await listInstances(fleet.server)).filter((i) => i.spec.app === 'svc')
    return items.length === 2 && items.every((i) => i.status?.phase === 'Unknown') ? items : undefined
  }, 30_000)
  for (const i of unknown) assert.equal(i.status.reason, 'NodeNotReady')
  assert.deepEqual(prober.failures, [], 'the instances answered while their agent was dead')

  // Now the server goes too, and the agent comes back alone: it must re-adopt, not restart.
  await fleet.server.kill('SIGKILL')
  const agent = fleet.startAgent(node.name)
  await waitUntil('the restarted agent to adopt both instances', () => logged(agent, 'adopting instance') === 2 || undefined, 60_000)
  await prober.rounds(30)
  assert.equal(agent.proc.exitCode, null, `the agent runs without a server:\n${agent.output()}`)
  assert.equal(logged(agent, 'starting instance'), 0, 'the restarted agent started nothing')
  for (const i of before) assert.equal((await hello(i.status.endpoints.http)).pid, pids[i.metadata.name], `${i.metadata.name} is the same process`)
  assert.deepEqual(instanceProcesses([node.name]), processes, 'no process started or stopped by the restarted agent')
  assert.deepEqual(prober.failures, [], 'the instances answered while the agent restarted with no server')

  const restartedAt = Date.now()
  const server = await fleet.restartServer()
  await waitForNodes(server, [node.name], restartedAt)
  const after = await waitForReady(server, 'svc', 2, (i) => pids[i.metadata.name] === i.status.pid)
  for (const i of after) {
    assert.equal(i.status.restarts, 0, `${i.metadata.name}: zero restarts`)
    assert.equal(i.status.reason, 'Adopted', `${i.metadata.name} was adopted by the new agent`)
  }
  await prober.rounds(20)
  await prober.stop()
  assert.deepEqual(prober.failures, [], 'every instance answered throughout')
  for (const i of before) assert.deepEqual([...prober.pids.get(i.metadata.name)!], [pids[i.metadata.name]], `${i.metadata.name} was always answered by the same process`)
  assert.deepEqual(instanceProcesses([node.name]), processes, 'the same two processes, no duplicate')
  assert.deepEqual(pidsOf(await listInstances(server)), pids)
  assert.equal(logged(agent, 'starting instance'), 0, 'nothing was started on reconnect')
  assert.equal(logged(agent, 'stopping instance'), 0, 'nothing was stopped on reconnect')
  const shownAfter = await cli(['get', 'nodes'], fleet.env())
  assert.match(shownAfter.stdout, new RegExp(`${node.name}\\s+graz\\s+Ready\\s+Connected\\s`))
})
