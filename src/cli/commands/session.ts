import type { Command } from 'commander'
import { clientFrom, type GlobalFlags } from '../context.js'
import { table, until } from '../output.js'
import { parseLabels } from './agent.js'

interface View { id: string; namespace: string; app: string; site: string; instance: string; slot: number; phase: string; start: string; endpoint: { url: string }; token?: string; expiresAt: string; reason?: string }

function show(v: View, output: string): string {
  if (output === 'json') return JSON.stringify(v, null, 2) + '\n'
  return [
    `session ${v.id} (${v.phase}${v.reason ? `: ${v.reason}` : ''})`,
    `app:      ${v.namespace}/${v.app}`,
    `site:     ${v.site} (instance ${v.instance}, slot ${v.slot}, ${v.start} start)`,
    `endpoint: ${v.endpoint.url}`,
    ...(v.token ? [`token:    ${v.token}`] : []),
    `expires:  ${v.expiresAt}`,
  ].join('\n') + '\n'
}

export function registerSession(program: Command): void {
  const cmd = program.command('session').description('on-demand instances for end users (cloud gaming, cloud apps)')
  cmd.command('create')
    .requiredOption('--app <app>', 'an app with spec.sessions')
    .option('--client-ip <ip>', 'the user: placed near them')
    .option('--location <lat,lon>', 'the user\'s location instead of an IP')
    .option('--ttl <seconds>', 'how long the session lasts')
    .option('--deadline <ms>', 'how long to wait for a slot (a cold start counts)')
    .option('--max-distance-km <km>', 'only sites this close to the user (default: the app\'s sessions.maxDistanceKm)')
    .option('--idempotency-key <key>', 'a retry with the same key returns the same session')
    .option('--meta <k=v>', 'metadata (repeatable)', (v: string, p: string[]) => [...p, v], [] as string[])
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (o: { app: string; clientIp?: string; location?: string; ttl?: string; deadline?: string; maxDistanceKm?: string; idempotencyKey?: string; meta: string[]; output: string }, c: Command) => {
      const flags = c.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const body: Record<string, unknown> = { app: o.app, namespace: flags.namespace ?? 'default' }
      if (o.clientIp) body.clientIp = o.clientIp
      if (o.location) {
        const [lat, lon] = o.location.split(',').map(Number)
        body.location = { lat, lon }
      }
      if (o.ttl) body.ttlSeconds = Number(o.ttl)
      if (o.deadline) body.deadlineMs = Number(o.deadline)
      if (o.maxDistanceKm) body.maxDistanceKm = Number(o.maxDistanceKm)
      if (o.idempotencyKey) body.idempotencyKey = o.idempotencyKey
      if (o.meta.length) body.metadata = parseLabels(o.meta)
      const v = (await client.http.request('POST', '/v1/sessions', body)) as View
      process.stdout.write(show(v, o.output))
    })
  cmd.command('get')
    .argument('<id>')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (id: string, o: { output: string }, c: Command) => {
      const client = clientFrom(c.optsWithGlobals() as GlobalFlags)
      process.stdout.write(show((await client.http.request('GET', `/v1/sessions/${encodeURIComponent(id)}`)) as View, o.output))
    })
  cmd.command('list')
    .option('--app <app>')
    .action(async (o: { app?: string }, c: Command) => {
      const flags = c.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const q = new URLSearchParams({ namespace: flags.namespace ?? 'default', ...(o.app ? { app: o.app } : {}) })
      const { items } = (await client.http.request('GET', `/v1/sessions?${q}`)) as { items: View[] }
      process.stdout.write(table(['ID', 'APP', 'SITE', 'INSTANCE', 'SLOT', 'PHASE', 'START', 'EXPIRES IN'], items.map((v) => [
        v.id, v.app, v.site, v.instance, String(v.slot), v.phase, v.start, v.phase === 'Active' ? until(v.expiresAt) : '-',
      ])))
    })
  cmd.command('renew')
    .argument('<id>')
    .option('--ttl <seconds>')
    .action(async (id: string, o: { ttl?: string }, c: Command) => {
      const client = clientFrom(c.optsWithGlobals() as GlobalFlags)
      process.stdout.write(show((await client.http.request('POST', `/v1/sessions/${encodeURIComponent(id)}/renew`, o.ttl ? { ttlSeconds: Number(o.ttl) } : {})) as View, 'text'))
    })
  cmd.command('release')
    .argument('<id>')
    .action(async (id: string, _o: unknown, c: Command) => {
      const client = clientFrom(c.optsWithGlobals() as GlobalFlags)
      const v = (await client.http.request('DELETE', `/v1/sessions/${encodeURIComponent(id)}`)) as View
      process.stdout.write(`session ${v.id} ${v.phase.toLowerCase()}\n`)
    })
}
