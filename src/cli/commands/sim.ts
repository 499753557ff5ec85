import type { Command } from 'commander'
import { createInterface } from 'node:readline'
import { positive } from './server.js'

export function registerSim(program: Command): void {
  program.command('sim')
    .description('run a fleet of hollow agents (real link protocol, simulated runtime) against a server, until Ctrl-C; faults are typed on stdin ("help")')
    .option('--join-token <token>', 'a join token with enough uses for every node (needed only for nodes not joined yet)')
    .option('--sites <n>', 'number of sites', '10')
    .option('--nodes-per-site <k>', 'nodes (links) per site', '1')
    .option('--seed <seed>', 'the world (places, regions, providers, capacities) is a function of this', '1')
    .option('--ca-file <pem>', 'trust this CA for the server (instead of the fingerprint pinned in the join token)')
    .option('--data-dir <dir>', 'where the CA and node credentials are kept (a rerun reuses its nodes)', './edgeplane-sim')
    .option('--start-delay <ms>', 'simulated time from placement to Running', '200')
    .option('--ready-delay <ms>', 'simulated time from Running to ready', '500')
    .option('--no-gateways', 'sites advertise no gateway')
    .option('--summary-seconds <n>', 'print a summary line this often', '10')
    .option('--join-concurrency <n>', 'joins in flight at once', '32')
    .action(async (o: { joinToken?: string; sites: string; nodesPerSite: string; seed: string; caFile?: string; dataDir: string; startDelay: string; readyDelay: string; gateways: boolean; summarySeconds: string; joinConcurrency: string }, cmd: Command) => {
      // --server (and --ca-file, when given before the verb) are global options shared with the client verbs.
      const globals = cmd.optsWithGlobals() as { server?: string; caFile?: string }
      const server = globals.server ?? process.env.EDGEPLANE_SERVER
      const caFile = o.caFile ?? globals.caFile
      if (!server) throw new Error('the simulator needs --server URL')
      const sites = positive(o.sites, '--sites')
      const perSite = positive(o.nodesPerSite, '--nodes-per-site')
      // Loaded when run: every other command starts without the simulator's modules.
      const [{ createLogger }, { ensureFileLimit }, { startFleet }, { FaultConsole, parseFault }] = await Promise.all([
        import('../../lib/log.js'), import('../../sim/limits.js'), import('../../sim/fleet.js'), import('../../sim/faults.js')])
      const lim = ensureFileLimit(sites * perSite + 512)
      if (lim.raised) process.stderr.write(`edgeplane sim: raised the open-file limit to ${lim.limit?.soft}\n`)
      if (lim.problem) throw new Error(lim.problem)
      const log = createLogger('sim', process.env.EDGEPLANE_LOG_LEVEL ?? 'error')
      const t0 = Date.now()
      process.stderr.write(`edgeplane sim: joining and connecting ${sites} sites × ${perSite} node(s) to ${server} (seed ${o.seed})\n`)
      const fleet = await startFleet({
        server, joinToken: o.joinToken, sites, nodesPerSite: perSite, seed: o.seed, caFile, dataDir: o.dataDir, log,
        runtime: { startDelayMs: Number(o.startDelay), readyDelayMs: Number(o.readyDelay) }, gateways: o.gateways,
        joinConcurrency: positive(o.joinConcurrency, '--join-concurrency'), wait: 'started',
      })
      const every = positive(o.summarySeconds, '--summary-seconds') * 1000
      let announced = false
      const print = () => {
        const s = fleet.stats()
        if (!announced && s.connected === s.nodes) {
          announced = true
          process.stdout.write(`all ${s.nodes} nodes connected after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
        }
        process.stdout.write(`${new Date().toISOString()} ${fleet.summary()}\n`)
      }
      const timer = setInterval(print, every)
      print()
      // Fault injection from stdin, one command per line (a closed stdin just means no faults).
      const faults = new FaultConsole(fleet)
      process.stdout.write('type "help" for fault injection commands\n')
      createInterface({ input: process.stdin, terminal: false }).on('line', (line) => {
        const cmd = parseFault(line)
        if (!cmd) return
        if (cmd instanceof Error) { process.stdout.write(`error: ${cmd.message}\n`); return }
        try {
          process.stdout.write(`${faults.run(cmd)}\n`)
        } catch (err) {
          process.stdout.write(`error: ${(err as Error).message}\n`)
        }
      })
      let stopping = false
      const stop = () => {
        if (stopping) return
        stopping = true
        clearInterval(timer)
        print()
        void fleet.stop().finally(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}
