// The benchmark's DNS server process: zone edge.test with `web` (nearest of five sites by the client
// subnet) and `static` (one fixed address), the same records as the PowerDNS peer.
//   node --import tsx bench/dns/serve.ts [--listen 127.0.0.1:0]   → prints "listening PORT"
import { DnsServer } from '../../src/routing/dns/server.js'
import { createLogger } from '../../src/lib/log.js'
import { benchGeoSource } from './geo-source.js'

const i = process.argv.indexOf('--listen')
const listen = i >= 0 ? process.argv[i + 1] : '127.0.0.1:0'
const dns = new DnsServer({
  zone: 'edge.test', source: benchGeoSource, ttl: 60, nsAddresses: ['127.0.0.1'], soa: { minimum: 60 },
  log: createLogger('dns', 'warn'),
})
const at = await dns.listen({ udp: listen, tcp: listen })
process.stdout.write(`listening ${at.udp!.port}\n`)
process.on('SIGTERM', () => {
  process.stderr.write(`${JSON.stringify(dns.stats)}\n`)
  void dns.close().then(() => process.exit(0))
})
