import type { Command } from 'commander'
import { clientFrom, type GlobalFlags } from '../context.js'
import { table } from '../output.js'

interface RouteAnswer {
  host: string
  app: string
  client: { ip: string; point?: { lat: number; lon: number }; country?: string; region?: string; source: string }
  total: { endpoints: number; excluded: number }
  endpoints: { rank: number; site: string; region: string; provider: string; gateways: string[]; distanceKm?: number; readyInstances: number; load: number; saturated: boolean; reason: string }[]
  excluded: { site: string; reason: string }[]
}

export function registerRoute(program: Command): void {
  program.command('route')
    .description('where a client would be sent for a host: the sites ranked, with the reason for each')
    .argument('<host>', 'an app\'s traffic host, e.g. hello.edge.test')
    .option('--client-ip <ip>', 'the client (default: as the server sees this CLI)')
    .option('--limit <n>', 'only the first n sites (and n of the excluded)')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (host: string, opts: { clientIp?: string; limit?: string; output: string }, cmd: Command) => {
      const client = clientFrom(cmd.optsWithGlobals() as GlobalFlags)
      const q = new URLSearchParams({ host, ...(opts.clientIp ? { clientIp: opts.clientIp } : {}), ...(opts.limit !== undefined ? { limit: opts.limit } : {}) })
      const res = (await client.http.request('GET', `/v1/route?${q}`)) as RouteAnswer
      if (opts.output === 'json') { process.stdout.write(JSON.stringify(res, null, 2) + '\n'); return }
      const c = res.client
      const where = c.point ? `${c.point.lat},${c.point.lon}${c.country ? ` (${c.country})` : ''}${c.region ? ` region ${c.region}` : ''}` : 'unknown location'
      process.stdout.write(`host ${res.host} (app ${res.app}); client ${c.ip}: ${where}, from ${c.source}\n`)
      if (!res.endpoints.length) process.stdout.write('no site can serve it now\n')
      else process.stdout.write(table(['RANK', 'SITE', 'GATEWAY', 'DISTANCE', 'READY', 'LOAD', 'REASON'],
        res.endpoints.map((e) => [String(e.rank), e.site, e.gateways[0] ?? '-', e.distanceKm !== undefined ? `${e.distanceKm} km` : '-', String(e.readyInstances), e.saturated ? `${e.load} (saturated)` : String(e.load), e.reason])))
      for (const x of res.excluded) process.stdout.write(`excluded: ${x.site}: ${x.reason}\n`)
      const more = res.total.endpoints - res.endpoints.length, moreExcluded = res.total.excluded - res.excluded.length
      if (more > 0 || moreExcluded > 0) process.stdout.write(`(not shown, see --limit: ${more} ranked, ${moreExcluded} excluded)\n`)
    })
}
