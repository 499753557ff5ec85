import type { Command } from 'commander'
import { LINK_ADMISSION_RATE } from '../../api/link.js'
import { startServer } from '../../server/server.js'
import { parseDuration } from './token.js'
import { parseAllowedRegistries } from '../../server/registry/allow-list.js'

export function registerServer(program: Command): void {
  program.command('server')
    .description('run the control plane (API, store, controllers, agent link)')
    .option('--data-dir <dir>', 'where the database and credentials live', './edgeplane-data')
    .option('--listen <host:port>', 'API and link address', '127.0.0.1:7420')
    .option('--heartbeat-seconds <n>', 'link ping interval', '4')
    .option('--node-grace-seconds <n>', 'a node without link or heartbeat this long becomes NotReady', '8')
    .option('--tls-cert <pem>', 'serve this certificate (with --tls-key) instead of the server\'s own CA')
    .option('--tls-key <pem>', 'key of --tls-cert')
    .option('--tls-ca <pem>', 'the CA that signed --tls-cert (its fingerprint goes into join tokens)')
    .option('--tls-san <name>', 'extra DNS name or IP for the generated certificate (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('--insecure-http', 'plain HTTP instead of TLS (only on a loopback address)')
    .option('--node-credential-ttl <duration>', 'lifetime of node credentials (agents rotate them early)', '720h')
    .option('--dns-listen <host:port>', 'authoritative DNS (UDP and TCP) for app hosts', '127.0.0.1:5353')
    .option('--no-dns', 'do not serve DNS')
    .option('--dns-zone <zone>', 'the DNS zone app hosts live in', 'edge.test')
    .option('--dns-ttl <seconds>', 'TTL of DNS answers', '5')
    .option('--geo-rules <file>', 'YAML list of {cidr, lat, lon, region?} that locate clients (wins over the database)')
    .option('--geo-database <file>', 'MaxMind-format .mmdb (country or city) instead of the bundled CC0 country database')
    .option('--central-registry <url>', 'the central OCI registry (http://host:port or https://…) that site caches proxy, directly or through a central site\'s cache')
    .option('--link-admission-rate <n>', 'agent links and new connections admitted per second (reconnect storms are paced)', String(LINK_ADMISSION_RATE))
    .option('--allowed-registries <list>', 'comma-separated registries (host[:port]) container images may come from; others are refused (default: any)')
    .option('--insecure-registries <list>', 'comma-separated registries reached over plain HTTP to resolve tags (loopback ones always are)')
    .action(async (opts: { allowedRegistries?: string; insecureRegistries?: string; dataDir: string; listen: string; heartbeatSeconds: string; nodeGraceSeconds: string; tlsCert?: string; tlsKey?: string; tlsCa?: string; tlsSan: string[]; insecureHttp?: boolean; nodeCredentialTtl: string; linkAdmissionRate: string; dns: boolean; dnsListen: string; dnsZone: string; dnsTtl: string; geoRules?: string; geoDatabase?: string; centralRegistry?: string }) => {
      if (!!opts.tlsCert !== !!opts.tlsKey) throw new Error('--tls-cert and --tls-key go together')
      if (opts.insecureHttp && opts.tlsCert) throw new Error('--insecure-http and --tls-cert exclude each other')
      const tls = opts.insecureHttp ? { mode: 'off' as const }
        : opts.tlsCert ? { mode: 'files' as const, cert: opts.tlsCert, key: opts.tlsKey!, ca: opts.tlsCa }
        : { mode: 'auto' as const, sans: opts.tlsSan }
      const srv = await startServer({
        dataDir: opts.dataDir, listen: opts.listen, tls, nodeCredentialTtlSeconds: parseDuration(opts.nodeCredentialTtl),
        heartbeatSeconds: positive(opts.heartbeatSeconds, '--heartbeat-seconds'),
        nodeGraceSeconds: positive(opts.nodeGraceSeconds, '--node-grace-seconds'),
        linkAdmissionRate: positive(opts.linkAdmissionRate, '--link-admission-rate'),
        ...(opts.dns ? { dnsListen: opts.dnsListen, dnsZone: opts.dnsZone, dnsTtl: positive(opts.dnsTtl, '--dns-ttl') } : {}),
        geoRules: opts.geoRules, geoDatabase: opts.geoDatabase,
        ...(opts.centralRegistry ? { centralRegistry: opts.centralRegistry } : {}),
        allowedRegistries: parseAllowedRegistries(opts.allowedRegistries),
        insecureRegistries: parseAllowedRegistries(opts.insecureRegistries),
      })
      process.stderr.write(`edgeplane server listening on ${srv.url} (admin token: ${srv.adminTokenPath}${srv.caFingerprint ? `; CA sha256 ${srv.caFingerprint}` : ''})\n`)
      if (srv.dns?.udp) process.stderr.write(`edgeplane dns serving zone ${opts.dnsZone} on ${srv.dns.udp.address}:${srv.dns.udp.port} (udp and tcp)\n`)
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
