// The agent link over a bad network (issue 3): an agent in its own network namespace reaches the
// server over a veth pair that loses packets and adds delay; an app still converges, a change to it
// is applied exactly once, and a partition that heals leaves no duplicate and no needless restart.
//
// Why not `tc netem`: the issue asks for a link through a network namespace with `tc netem` (300 ms
// RTT, 5% loss), but the kernel of the machine this was written on has no netem qdisc
// (CONFIG_NET_SCH_NETEM is not set: `tc qdisc add ... netem` fails with "Specified qdisc kind is
// unknown", and there is no modprobe to load it). What it does have is network namespaces, veth
// pairs and nftables. So the impaired link is built from those:
//   - 5% real random packet loss in each direction: nftables in the namespace, on the veth, with the
//     rule `numgen random mod 100 < 5 drop` on both the input and the output hook;
//   - 300 ms RTT: test/e2e/delay-relay.ts, a TCP relay started inside the namespace that forwards
//     every chunk 150 ms late in each direction (order kept). The agent dials the relay on the
//     namespace's 127.0.0.1; the relay dials the server across the lossy veth.
// Unlike netem, the delay is added above TCP (the kernel's RTT estimate across the veth stays small,
// so lost segments are retransmitted after the 200 ms minimum RTO rather than after ~300 ms+), and it
// applies to the agent↔server link only, not to the test's own HTTP requests to the instance (those
// cross the lossy veth without added delay).
//
// Needs root, `ip` (iproute2) and `nft` (nftables). Outside CI a missing one skips these tests with
// the reason; in CI (CI=true) they fail instead.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { api, cli, instanceProcesses, killTree, pidRunning, Prober, ROOT, startServerProc, tempDir, waitUntil, type Proc, type ServerProc } from './fleet-helpers.js'
import { hello, listInstances, listNodes, logged, readyCondition, waitForNodes, waitForReady } from './autonomy-fixture.js'

const DELAY_MS = 150 // each way: 300 ms round trip
const LOSS_PERCENT = 5
const HEARTBEAT_SECONDS = 1
const GRACE_SECONDS = 4
const SERVER_FLAGS = ['--heartbeat-seconds', String(HEARTBEAT_SECONDS), '--node-grace-seconds', String(GRACE_SECONDS)]

// ip and nft live in /usr/sbin, which a non-login PATH may lack.
process.env.PATH = [process.env.PATH, '/usr/sbin', '/sbin'].filter(Boolean).join(':')

function missingRequirement(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth pairs, nftables)'
  for (const [tool, args, pkg] of [['ip', ['-V'], 'iproute2'], ['nft', ['--version'], 'nftables']] as const) {
    const r = spawnSync(tool, args)
    if (r.error || r.status !== 0) return `needs \`${tool}\` (apt-get install ${pkg})`
  }
  return undefined
}
const missing = missingRequirement()
const skip = missing && process.env.CI !== 'true' ? missing : false

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return r.stdout
}

/** Runs a command to completion without blocking the event loop. */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = '', stderr = ''
    p.stdout.on('data', (d) => { stdout += d })
    p.stderr.on('data', (d) => { stderr += d })
    p.on('error', reject)
    p.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

let seq = 0

/**
 * A network namespace joined to the host by a veth pair, with LOSS_PERCENT random loss each way on
 * the namespace's end. Names are unique per process and call; the subnet is one the host does not use.
 */
class LossyLink {
  readonly ns: string
  readonly hostIf: string
  readonly nsIf: string
  readonly hostIp: string
  readonly nsIp: string

  constructor() {
    const id = `${process.pid}${seq++}`
    this.ns = `ept-${id}`
    this.hostIf = `ept${id}a`
    this.nsIf = `ept${id}b`
    const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all'])
    let net: string
    do net = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 256)}`
    while (routes.includes(`${net}.`))
    this.hostIp = `${net}.1`
    this.nsIp = `${net}.2`
  }

  create(): void {
    sh('ip', ['netns', 'add', this.ns])
    sh('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', this.nsIf])
    sh('ip', ['link', 'set', this.nsIf, 'netns', this.ns])
    sh('ip', ['addr', 'add', `${this.hostIp}/24`, 'dev', this.hostIf])
    sh('ip', ['link', 'set', this.hostIf, 'up'])
    this.in(['ip', 'addr', 'add', `${this.nsIp}/24`, 'dev', this.nsIf])
    this.in(['ip', 'link', 'set', this.nsIf, 'up'])
    this.in(['ip', 'link', 'set', 'lo', 'up'])
    // Every packet on the veth is counted, then LOSS_PERCENT of them dropped at random, each way.
    this.nft(`table inet ept_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    iifname "${this.nsIf}" counter
    iifname "${this.nsIf}" numgen random mod 100 < ${LOSS_PERCENT} counter drop
  }
  chain output {
    type filter hook output priority 0; policy accept;
    oifname "${this.nsIf}" counter
    oifname "${this.nsIf}" numgen random mod 100 < ${LOSS_PERCENT} counter drop
  }
}
`)
  }

  /** argv that runs `argv` inside the namespace. */
  argv(argv: string[]): string[] { return ['netns', 'exec', this.ns, ...argv] }

  in(argv: string[], input?: string): string { return sh('ip', this.argv(argv), input) }

  nft(script: string): void { this.in(['nft', '-f', '-'], script) }

  /** A complete partition: every packet on the veth vanishes, both ways (no reset, no ICMP). */
  cut(): void {
    this.nft(`table inet ept_cut {
  chain input { type filter hook input priority -10; policy accept; iifname "${this.nsIf}" drop; }
  chain output { type filter hook output priority -10; policy accept; oifname "${this.nsIf}" drop; }
}
`)
  }

  heal(): void { this.in(['nft', 'delete', 'table', 'inet', 'ept_cut']) }

  /** Packets that crossed the veth (both ways) and how many of them the loss rule dropped. */
  counters(): { packets: number; dropped: number } {
    const rules = JSON.parse(this.in(['nft', '-j', 'list', 'table', 'inet', 'ept_loss'])).nftables
      .filter((x: any) => x.rule).map((x: any) => x.rule.expr)
    const count = (drop: boolean) => rules
      .filter((expr: any[]) => expr.some((e) => 'drop' in e) === drop)
      .reduce((sum: number, expr: any[]) => sum + (expr.find((e) => e.counter)?.counter.packets ?? 0), 0)
    return { packets: count(false), dropped: count(true) }
  }

  /** Removes the namespace and the veth pair; safe to call on a half-built link. */
  destroy(): void {
    spawnSync('ip', ['netns', 'del', this.ns])
    spawnSync('ip', ['link', 'del', this.hostIf])
  }
}

/** Starts `node --import tsx <args>` inside the namespace (the same shape as fleet-helpers' startCli). */
function startIn(link: LossyLink, args: string[]): Proc {
  const proc = spawn('ip', link.argv([process.execPath, '--import', 'tsx', ...args]), {
    cwd: ROOT, env: { ...process.env, EDGEPLANE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  proc.stdout!.on('data', (d) => { out += d })
  proc.stderr!.on('data', (d) => { out += d })
  return {
    proc,
    output: () => out,
    // `ip netns exec` execs the command: this pid is node's.
    kill: (sig = 'SIGKILL') => new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return r()
      proc.once('exit', () => r())
      proc.kill(sig)
    }),
  }
}

interface Setup {
  link: LossyLink
  server: ServerProc
  agent: Proc
  node: string
  /** CLI environment for the server. */
  env: Record<string, string>
  /**
   * Applies an app (1 replica on this test's site, with these env vars) as `edgeplane apply` does,
   * through the API (on a busy machine every CLI start costs seconds): 201 created, 200 updated.
   */
  apply(name: string, vars?: Record<string, string>): Promise<{ status: number; body: any }>
  /** A background loop stopped after the test even when it fails (else it keeps the test process alive). */
  track<T extends { stop(): Promise<void> }>(loop: T): T
}

/**
 * The topology: a server on the host's end of the veth, a delay relay and an agent inside the
 * namespace, the agent dialing the server through the relay. Returns once the node is Ready.
 * Everything (processes, instance processes, namespace, veth, temp dir) goes away after the test.
 */
async function setUp(t: TestContext, prefix: string): Promise<Setup> {
  const tmp = tempDir(prefix)
  const link = new LossyLink()
  const suffix = randomBytes(3).toString('hex')
  const node = `lossy-${suffix}`
  const procs: Proc[] = []
  const loops: { stop(): Promise<void> }[] = []
  t.after(async () => {
    for (const l of loops) await l.stop()
    for (const p of procs.reverse()) await p.kill()
    killTree(instanceProcesses([node]).map((p) => p.pid))
    link.destroy()
    tmp.remove()
  })
  link.create()

  // Not on loopback, so TLS (the default); the certificate names the listen address and 127.0.0.1.
  const server = await startServerProc(join(tmp.dir, 'server'), SERVER_FLAGS, `${link.hostIp}:0`)
  procs.push(server)
  assert.match(server.url, /^https:/)
  const env = { ...server.env, EDGEPLANE_CONFIG: join(tmp.dir, 'config.json') }

  const relay = startIn(link, ['test/e2e/delay-relay.ts', '0', new URL(server.url).host, String(DELAY_MS)])
  procs.push(relay)
  const relayPort = await waitUntil('the delay relay to listen', () =>
    /listening on 127\.0\.0\.1:(\d+)/.exec(relay.output())?.[1] ?? (relay.proc.exitCode !== null ? Promise.reject(new Error(relay.output())) : undefined), 30_000)

  // Through the API rather than the CLI: on a busy machine every CLI start costs seconds.
  const created = await api(server.url, server.token, 'POST', '/v1/tokens', { type: 'join', maxUses: 1 })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  // Through the relay the server is https://127.0.0.1:PORT: its certificate holds 127.0.0.1, and the
  // join token pins its CA.
  const agent = startIn(link, ['src/cli/run.ts', 'agent', '--server', `https://127.0.0.1:${relayPort}`, '--join-token', created.body.token,
    '--site', `lossy-${suffix}`, '--region', 'eu-west', '--provider', 'self', '--address', link.nsIp, '--name', node,
    '--label', `lossy=${suffix}`, '--data-dir', join(tmp.dir, 'agent')])
  procs.push(agent)
  await waitForNodes(server, [node], 0)

  return {
    link, server, agent, node, env,
    track(loop) { loops.push(loop); return loop },
    apply(name, vars = {}) {
      return api(server.url, server.token, 'PATCH', `/apis/edgeplane.io/v1/namespaces/default/apps/${name}`, `apiVersion: edgeplane.io/v1
kind: App
metadata: {name: ${name}}
spec:
  replicas: 1
  template:
    command: ${process.execPath}
    args: [server.js]
    workingDir: ${join(ROOT, 'examples', 'hello')}
    env: ${JSON.stringify(vars)}
    ports: [{name: http}]
    readiness: {http: {path: /healthz, port: http}, periodSeconds: 0.5}
  placement:
    siteSelector: {matchLabels: {lossy: "${suffix}"}}
`)
    },
  }
}

/**
 * Polls the instances of an app until stopped and records every poll, so a test can assert that
 * there never was a duplicate, not only that there is none at the end.
 */
class InstanceWatch {
  readonly polls: { at: number; items: { name: string; revision: string; phase?: string; pid?: number }[] }[] = []
  readonly errors: string[] = []
  private stopped = false
  private readonly done: Promise<void>

  constructor(private readonly server: ServerProc, private readonly app: string) {
    this.done = this.loop()
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const items = (await listInstances(this.server)).filter((i) => i.spec.app === this.app)
        this.polls.push({ at: Date.now(), items: items.map((i) => ({ name: i.metadata.name, revision: i.spec.revision, phase: i.status?.phase, pid: i.status?.pid })) })
      } catch (err) { this.errors.push((err as Error).message) }
      await new Promise((r) => setTimeout(r, 150))
    }
  }

  /** revision → every instance name seen with it. */
  namesByRevision(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>()
    for (const p of this.polls) for (const i of p.items) {
      if (!out.has(i.revision)) out.set(i.revision, new Set())
      out.get(i.revision)!.add(i.name)
    }
    return out
  }

  /** Polls where some revision had more than one instance, or more than `max` existed in all. */
  duplicates(max: number): string[] {
    return this.polls.filter((p) => p.items.length > max || new Set(p.items.map((i) => i.revision)).size < p.items.length)
      .map((p) => `${new Date(p.at).toISOString()}: ${JSON.stringify(p.items)}`)
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.done
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The log lines of a process with this message, for the diagnostics (why a link went down). */
function linkLines(p: Proc, msg: string): string[] {
  return p.output().split('\n').filter((l) => l.includes(`"msg":"${msg}"`))
}

test('over a link with 300 ms RTT and 5% loss each way, an app converges, and a change to it replaces its instance exactly once', { skip, timeout: 180_000 }, async (t) => {
  if (missing) assert.fail(`in CI this test must run, but it ${missing}`)
  const started = Date.now()
  const f = await setUp(t, 'lossy-converge')
  t.diagnostic(`topology up and node Ready over the impaired link after ${Date.now() - started} ms`)

  // Every poll of the app's instances, from before it exists to the end of the rollout.
  const watch = f.track(new InstanceWatch(f.server, 'web'))
  const applied = await f.apply('web')
  assert.equal(applied.status, 201, JSON.stringify(applied.body))
  const t0 = Date.now()
  const [first] = await waitForReady(f.server, 'web', 1)
  t.diagnostic(`first instance ready ${Date.now() - t0} ms after apply`)
  assert.equal(first.spec.node, f.node)
  const endpoint = first.status.endpoints.http as string
  assert.ok(endpoint.startsWith(`${f.link.nsIp}:`), `the instance binds the namespace's address: ${endpoint}`)
  // From the host, across the lossy veth.
  const answer = await hello(endpoint)
  assert.equal(answer.instance, first.metadata.name)
  assert.equal(answer.pid, first.status.pid, 'the status pid is the process answering')
  assert.equal(readyCondition((await listNodes(f.server)).find((n) => n.metadata.name === f.node))?.status, 'True')

  // A change of the template (a new env var: a new revision) converges too, old → new exactly once.
  const changed = await f.apply('web', { GREETING: 'v2' })
  assert.equal(changed.status, 200, JSON.stringify(changed.body))
  assert.equal(changed.body.metadata.generation, applied.body.metadata.generation + 1, 'the template changed')
  const t1 = Date.now()
  const [second] = await waitUntil('the new revision ready and the old instance gone', async () => {
    const mine = (await listInstances(f.server)).filter((i) => i.spec.app === 'web')
    return mine.length === 1 && mine[0].spec.revision !== first.spec.revision && mine[0].status?.phase === 'Running' && mine[0].status.ready ? mine : undefined
  }, 120_000)
  t.diagnostic(`new revision ready and old instance gone ${Date.now() - t1} ms after the change`)
  await waitUntil('the old instance process to exit', () => !pidRunning(first.status.pid) || undefined, 30_000)
  const convergedAt = Date.now()
  const answer2 = await hello(second.status.endpoints.http)
  assert.equal(answer2.instance, second.metadata.name)
  assert.equal(answer2.pid, second.status.pid)
  // The new instance serves steadily across the lossy veth (and these requests put a few hundred
  // packets through the loss rule, so the check that packets were really lost below cannot miss).
  const prober = f.track(new Prober([{ name: second.metadata.name, endpoint: second.status.endpoints.http }], 20))
  await prober.rounds(40)
  await prober.stop()
  assert.deepEqual(prober.failures, [], 'the new instance answered every request over the lossy link')
  assert.deepEqual([...prober.pids.get(second.metadata.name)!], [second.status.pid], 'always the same process')
  // Whatever a retransmitted or late message would wrongly do (a second start, a second stop), give it time to show.
  await sleep(Math.max(0, 3_000 - (Date.now() - convergedAt)))
  await watch.stop()

  assert.deepEqual(watch.duplicates(2), [], 'never two instances of one revision, never more than old + new')
  assert.deepEqual(watch.errors, [])
  const byRevision = watch.namesByRevision()
  assert.deepEqual(byRevision.get(second.spec.revision), new Set([second.metadata.name]), 'one instance of the new revision, ever')
  for (const [rev, names] of byRevision) if (rev !== second.spec.revision) assert.deepEqual([rev, names], [first.spec.revision, new Set([first.metadata.name])], 'no revision but the old and the new, and the old one only as its first instance')
  const final = (await listInstances(f.server)).filter((i) => i.spec.app === 'web')
  assert.deepEqual(final.map((i) => [i.metadata.name, i.status.pid, i.status.restarts, i.status.phase]), [[second.metadata.name, second.status.pid, 0, 'Running']])
  assert.deepEqual(instanceProcesses([f.node]).map((p) => p.pid), [second.status.pid], 'exactly one instance process on the node: the new one')
  assert.equal(logged(f.agent, 'starting instance'), 2, 'the agent started the first instance and its replacement, once each')
  assert.equal(logged(f.agent, 'stopping instance'), 1, 'the agent stopped the old instance once')
  assert.equal(logged(f.agent, 'adopting instance'), 0)
  assert.equal(readyCondition((await listNodes(f.server)).find((n) => n.metadata.name === f.node))?.status, 'True', 'the node is Ready at the end')

  const c = f.link.counters()
  t.diagnostic(`veth: ${c.dropped} of ${c.packets} packets dropped (${(100 * c.dropped / c.packets).toFixed(1)}%); agent link up ${logged(f.agent, 'link up')}x, down ${logged(f.agent, 'link down')}x`)
  for (const line of [...linkLines(f.agent, 'link down'), ...linkLines(f.server, 'link closed')]) t.diagnostic(line)
  assert.ok(c.dropped > 0, `the loss is real: ${c.dropped} of ${c.packets} packets dropped`)
})

test('a partition longer than the node grace, then healed: the node goes NotReady and back, the same instance serves throughout, no duplicate, no restart', { skip, timeout: 180_000 }, async (t) => {
  if (missing) assert.fail(`in CI this test must run, but it ${missing}`)
  const f = await setUp(t, 'lossy-partition')
  const applied = await f.apply('svc')
  assert.equal(applied.status, 201, JSON.stringify(applied.body))
  const [before] = await waitForReady(f.server, 'svc', 1)
  const name = before.metadata.name as string
  const pid = before.status.pid as number
  const endpoint = before.status.endpoints.http as string
  assert.equal(before.status.restarts, 0)
  assert.equal((await hello(endpoint)).pid, pid)
  assert.equal(logged(f.agent, 'starting instance'), 1)

  const watch = f.track(new InstanceWatch(f.server, 'svc'))
  const downsBefore = logged(f.agent, 'link down')
  f.link.cut()
  const cutAt = Date.now()

  // The server gives the node up after the grace, for a link reason, and marks the instance Unknown.
  const notReady = await waitUntil('the node to become NotReady', async () => {
    const n = (await listNodes(f.server)).find((x) => x.metadata.name === f.node)
    return readyCondition(n)?.status === 'False' ? n : undefined
  }, 60_000)
  t.diagnostic(`node NotReady ${Date.now() - cutAt} ms after the cut (${readyCondition(notReady).reason})`)
  assert.ok(['HeartbeatMissed', 'LinkClosed'].includes(readyCondition(notReady).reason), `NotReady for a link reason: ${JSON.stringify(readyCondition(notReady))}`)
  assert.equal(notReady.status.link.state, 'Disconnected')
  const unknown = await waitUntil('the instance marked Unknown', async () => {
    const items = (await listInstances(f.server)).filter((i) => i.spec.app === 'svc')
    return items.length === 1 && items[0].status?.phase === 'Unknown' ? items[0] : undefined
  }, 30_000)
  assert.equal(unknown.metadata.name, name, 'marked Unknown, not deleted nor replaced')
  assert.equal(unknown.status.reason, 'NodeNotReady')

  // The agent noticed too (no ping from the server), and the instance keeps serving in the namespace.
  await waitUntil('the agent to see the link go down', () => logged(f.agent, 'link down') > downsBefore || undefined, 30_000)
  const inside = await run('ip', f.link.argv([process.execPath, '-e',
    `fetch('http://${endpoint}/', { signal: AbortSignal.timeout(10000) }).then((r) => r.text()).then((b) => process.stdout.write(b), (e) => { console.error(e.message); process.exit(1) })`]))
  assert.equal(inside.code, 0, inside.stderr)
  const answer = JSON.parse(inside.stdout) as { pid: number; instance: string }
  assert.deepEqual([answer.instance, answer.pid], [name, pid], 'the same process answers inside the namespace during the partition')
  assert.equal(f.agent.proc.exitCode, null, 'the agent keeps running without a server')

  // Longer than the node grace in any case, then heal.
  const heldFor = Date.now() - cutAt
  if (heldFor < (GRACE_SECONDS + 2) * 1000) await sleep((GRACE_SECONDS + 2) * 1000 - heldFor)
  f.link.heal()
  const healedAt = Date.now()
  t.diagnostic(`partition healed after ${healedAt - cutAt} ms`)

  await waitForNodes(f.server, [f.node], healedAt)
  t.diagnostic(`node Ready again ${Date.now() - healedAt} ms after the heal`)
  const [after] = await waitForReady(f.server, 'svc', 1, (i) => i.metadata.name === name && i.status.pid === pid)
  assert.equal(after.metadata.uid, before.metadata.uid, 'the same instance')
  assert.equal(after.status.restarts, 0, 'never restarted')
  assert.equal(after.status.reason, 'Started', 'still the process its agent started')
  assert.equal(after.status.startedAt, before.status.startedAt)

  // Whatever the reconnect would wrongly do (restart, stop, duplicate), give it time to show.
  const prober = f.track(new Prober([{ name, endpoint }], 200))
  await prober.rounds(15)
  await prober.stop()
  await watch.stop()
  assert.deepEqual(prober.failures, [], 'the instance answers over the healed link')
  assert.deepEqual([...prober.pids.get(name)!], [pid], 'always the same process')
  assert.deepEqual(watch.duplicates(1), [], 'never more than one instance')
  assert.deepEqual(watch.errors, [])
  assert.deepEqual([...watch.namesByRevision().values()].map((s) => [...s]), [[name]], 'only ever this instance')
  assert.ok(watch.polls.length > 10, 'the watch saw the whole partition')
  const final = (await listInstances(f.server)).filter((i) => i.spec.app === 'svc')
  assert.deepEqual(final.map((i) => [i.metadata.name, i.status.pid, i.status.restarts, i.status.phase, i.status.ready]), [[name, pid, 0, 'Running', true]])
  assert.deepEqual(instanceProcesses([f.node]).map((p) => p.pid), [pid], 'one instance process on the node, the same one')
  assert.equal(logged(f.agent, 'starting instance'), 1, 'the agent started the instance once, at the beginning')
  assert.equal(logged(f.agent, 'stopping instance'), 0, 'the agent stopped nothing')
  assert.equal(logged(f.agent, 'adopting instance'), 0, 'the agent never lost its instance (nothing to adopt)')
  assert.ok(logged(f.agent, 'link up') >= 2, 'the agent reconnected')
  for (const line of [...linkLines(f.agent, 'link down'), ...linkLines(f.server, 'link closed')]) t.diagnostic(line)
  const shown = await cli(['get', 'nodes'], f.env)
  assert.equal(shown.code, 0, shown.stderr)
  assert.match(shown.stdout, new RegExp(`${f.node}\\s+\\S+\\s+Ready\\s+Connected\\s`))
})
