import type { Command } from 'commander'
import { startServer } from '../../server/server.js'

export function registerServer(program: Command): void {
  program.command('server')
    .description('run the control plane (API, store, controllers, agent link)')
    .option('--data-dir <dir>', 'where the database and credentials live', './edgeplane-data')
    .option('--listen <host:port>', 'API and link address', '127.0.0.1:7420')
    .option('--heartbeat-seconds <n>', 'link ping interval', '5')
    .option('--node-grace-seconds <n>', 'a node without link or heartbeat this long becomes NotReady', '10')
    .action(async (opts: { dataDir: string; listen: string; heartbeatSeconds: string; nodeGraceSeconds: string }) => {
      const srv = await startServer({
        dataDir: opts.dataDir, listen: opts.listen,
        heartbeatSeconds: positive(opts.heartbeatSeconds, '--heartbeat-seconds'),
        nodeGraceSeconds: positive(opts.nodeGraceSeconds, '--node-grace-seconds'),
      })
      process.stderr.write(`edgeplane server listening on ${srv.url} (admin token: ${srv.adminTokenPath})\n`)
      const stop = () => { void srv.close().then(() => process.exit(0)) }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}

export function positive(v: string, flag: string): number {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`)
  return n
}
