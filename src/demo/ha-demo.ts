// `edgeplane demo --ha`: the demo fleet on two servers sharing one PostgreSQL (a private one,
// started from the machine's PostgreSQL binaries in a temp dir and removed at the end). The first
// server is the demo's own (it finds the database in EDGEPLANE_STORE); the second runs on the next
// port with a copy of the first one's data dir (CA, peer key, admin token); agents know both.
// Kill either server and watch the agents move and the other one take the lead.
import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startPostgres } from '../store/postgres/local-server.js'
import { PACKAGE_ROOT, runDemo, type DemoOptions } from './demo.js'

export async function runHaDemo(o: DemoOptions): Promise<{ stop: () => Promise<void>; done: Promise<void> }> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'))
  const next = (hostPort: string) => { const i = hostPort.lastIndexOf(':'); return `${hostPort.slice(0, i)}:${Number(hostPort.slice(i + 1)) + 1}` }
  out('starting a private PostgreSQL (fsync on) in a temp dir…')
  const pg = await startPostgres({ fsync: true })
  const store = await pg.createDatabase('edgeplane')
  process.env.EDGEPLANE_STORE = store // the demo's server inherits it
  const second = next(o.listen)
  let server2: ChildProcess | undefined
  const stopAll = async () => {
    server2?.kill('SIGTERM')
    if (server2 && server2.exitCode === null) await new Promise((r) => server2!.once('exit', r))
    await pg.stop()
  }
  let demo: Awaited<ReturnType<typeof runDemo>>
  try {
    demo = await runDemo({ ...o, agentServers: `https://${o.listen},https://${second}` })
    const dataDir = resolve(o.dataDir)
    cpSync(join(dataDir, 'server'), join(dataDir, 'server-2'), { recursive: true })
    const log = openSync(join(dataDir, 'logs', 'server-2.log'), 'a')
    server2 = spawn(process.execPath, [...process.execArgv, process.argv[1], 'server', '--data-dir', join(dataDir, 'server-2'), '--listen', second,
      '--dns-listen', next(o.dnsListen), '--server-id', 'demo-2', '--geo-rules', join(PACKAGE_ROOT, 'examples', 'geo-rules.yaml')],
    { cwd: PACKAGE_ROOT, stdio: ['ignore', log, log], env: { ...process.env, EDGEPLANE_STORE: store } })
  } catch (err) {
    await stopAll()
    throw err
  }
  out('')
  out(`two servers share ${store}: https://${o.listen} (DNS ${o.dnsListen}) and https://${second} (DNS ${next(o.dnsListen)})`)
  out(`  psql ${store} -c "SELECT name, holder, epoch FROM ep_leases"     # who leads, who holds which links`)
  out(`  kill -9 <pid of either server>    # the other leads within ~3.5 s; agents move to it`)
  const stop = async () => { await demo.stop(); await stopAll() }
  return { stop, done: demo.done.then(stopAll) }
}
