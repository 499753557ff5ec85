import type { Command } from 'commander'

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('run a local demo fleet: a server and 5 sites (separate processes), with examples/hello deployed')
    .option('--data-dir <dir>', 'where the demo keeps its state (wiped at start)', './.edgeplane-demo')
    .option('--listen <host:port>', 'API address', '127.0.0.1:7420')
    .option('--dns-listen <host:port>', 'DNS address', '127.0.0.1:5353')
    .option('--gateway-port <port>', 'port of each site\'s gateway (on the site\'s address 127.0.N.1)', '8080')
    .option('--ha', 'two servers on one PostgreSQL (a private one, from the machine\'s PostgreSQL binaries)')
    .action(async (opts: { dataDir: string; listen: string; dnsListen: string; gatewayPort: string; ha?: boolean }) => {
      const gatewayPort = Number(opts.gatewayPort)
      if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535) throw new Error(`--gateway-port "${opts.gatewayPort}" is not a port number`)
      // Loaded when run: every other command starts without this role's modules.
      const run = opts.ha ? (await import('../../demo/ha-demo.js')).runHaDemo : (await import('../../demo/demo.js')).runDemo
      const demo = await run({ dataDir: opts.dataDir, listen: opts.listen, dnsListen: opts.dnsListen, gatewayPort })
      await demo.done
    })
}
