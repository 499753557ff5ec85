// The simulator's fault console: lines parse into commands or say what is wrong, and the console
// applies them to the fleet (here a recording stand-in) and can undo them with "heal all" / "revive all".
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FaultConsole, parseFault, type FaultCommand } from '../../src/sim/faults.js'

test('fault console: parsing targets, options and numbers', () => {
  assert.equal(parseFault('   '), undefined)
  assert.equal(parseFault('# a comment'), undefined)
  assert.deepEqual(parseFault('partition 100 --silent'), { op: 'partition', target: { count: 100 }, silent: true })
  assert.deepEqual(parseFault('kill 10%'), { op: 'kill', target: { share: 0.1 }, silent: false })
  assert.deepEqual(parseFault('heal'), { op: 'heal', target: 'all' })
  assert.deepEqual(parseFault('revive paris-1 tokyo-2'), { op: 'revive', target: { sites: ['paris-1', 'tokyo-2'] } })
  assert.deepEqual(parseFault('flap 5 2000 3000'), { op: 'flap', target: { count: 5 }, downMs: 2000, upMs: 3000 })
  assert.deepEqual(parseFault('latency 10% 150'), { op: 'latency', target: { share: 0.1 }, ms: 150, jitterMs: 0 })
  assert.deepEqual(parseFault('latency a b 150 20'), { op: 'latency', target: { sites: ['a', 'b'] }, ms: 150, jitterMs: 20 })
  assert.deepEqual(parseFault('loss 3 0.05'), { op: 'loss', target: { count: 3 }, fraction: 0.05 })
  for (const [line, why] of [
    ['explode 3', /unknown command "explode"/], ['kill', /which sites/], ['kill 0', /at least 1/], ['kill 150%', /at most 100%/],
    ['loss 3 1.5', /between 0 and 1/], ['flap 3 100', /which sites/], ['flap 3 0 100', /DOWN_MS must be a positive/], ['heal 3 --silent', /unknown option --silent/],
    ['latency 3 -5', /≥ 0/], ['status now', /no arguments/],
  ] as const) {
    const r = parseFault(line)
    assert.ok(r instanceof Error, line)
    assert.match(r.message, why, line)
  }
})

test('fault console: commands reach the fleet; heal all and revive all undo what was done', () => {
  const calls: string[] = []
  const sites = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
  const fleet = {
    siteNames: sites,
    pick: (n: number, o: { exclude?: Iterable<string> } = {}) => { const ex = new Set(o.exclude ?? []); return sites.filter((s) => !ex.has(s)).slice(0, n) },
    partition: (s: Iterable<string>, o: { mode?: string } = {}) => { calls.push(`partition ${o.mode} ${[...s]}`) },
    heal: (s: Iterable<string>) => { calls.push(`heal ${[...s]}`) },
    kill: (s: Iterable<string>, o: { silent?: boolean } = {}) => { calls.push(`kill ${o.silent} ${[...s]}`) },
    revive: (s: Iterable<string>) => { calls.push(`revive ${[...s]}`) },
    flap: (s: Iterable<string>, o: { downMs: number; upMs: number }) => { calls.push(`flap ${[...s]} ${o.downMs}/${o.upMs}`); return { stop: () => calls.push(`stop-flap ${[...s]}`), done: Promise.resolve() } },
    setLatency: (s: Iterable<string>, ms: number, j: number) => { calls.push(`latency ${[...s]} ${ms}±${j}`) },
    setLoss: (s: Iterable<string>, f: number) => { calls.push(`loss ${[...s]} ${f}`) },
    crashInstances: (s: Iterable<string>) => { calls.push(`crash ${[...s]}`) },
    summary: () => 'summary line',
  }
  const con = new FaultConsole(fleet as never)
  const run = (line: string) => con.run(parseFault(line) as FaultCommand)
  assert.match(run('kill 2 --silent'), /killed \(silent\) 2 site\(s\): a, b/)
  assert.match(run('partition 20%'), /partitioned \(closed\) 2 site\(s\): c, d/, 'killed sites are not drawn again')
  run('flap e 100 200')
  run('latency f 50 5')
  run('loss g 0.25')
  run('crash 1')
  assert.equal(run('status'), 'summary line')
  assert.throws(() => run('kill nowhere'), /no simulated site "nowhere"/)
  run('heal all')
  run('revive all')
  assert.deepEqual(calls, [
    'kill true a,b', 'partition closed c,d', 'flap e 100/200', 'latency f 50±5', 'loss g 0.25', 'crash c',
    'stop-flap e', 'heal c,d,e', 'revive a,b',
  ])
})
