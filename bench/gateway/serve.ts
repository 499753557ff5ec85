// The bench's gateway process: one SiteGateway with a static table (one host → one upstream),
// limits raised so wrk's single client address is never rate-limited or capped.
//   node --import tsx bench/gateway/serve.ts LISTEN UPSTREAM HOST
// Prints "listening HOST:PORT" on stdout when ready; stops on SIGTERM.
import { createLogger } from '../../src/lib/log.js'
import { SiteGateway, StaticGatewayTable } from '../../src/agent/gateway/index.js'

const [listen = '127.0.0.1:0', upstream = '127.0.0.1:8080', host = 'bench.edge.test'] = process.argv.slice(2)
const table = new StaticGatewayTable([{ host, endpoints: [{ id: 'bench/upstream', address: upstream, ready: true }], fallbacks: [] }])
const gw = new SiteGateway({
  listen, table, site: 'bench',
  log: createLogger('gateway', 'warn'),
  limits: { ratePerSecond: 0, maxConnectionsPerIp: 0, maxInflightPerEndpoint: 1024, upstreamConnections: 64 },
})
await gw.start()
process.stdout.write(`listening ${gw.address()}\n`)
process.on('SIGTERM', () => { void gw.stop().then(() => process.exit(0)) })
