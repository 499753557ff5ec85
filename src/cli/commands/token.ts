import type { Command } from 'commander'
import { clientFrom, type GlobalFlags } from '../context.js'
import { table } from '../output.js'

export function parseDuration(s: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(s.trim())
  if (!m) throw new Error(`"${s}" is not a duration (use e.g. 90s, 30m, 24h, 7d, or 0 for none)`)
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'])
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('manage credentials')
  token.command('create')
    .description('create a join token (printed alone on stdout) or another admin token')
    .option('--join', 'a token agents use to join (the default)')
    .option('--admin', 'an API token (role admin unless --role)')
    .option('--role <role>', 'an API token with this role: admin, operator, viewer, deployer (needs --namespace), session-client (needs --app)')
    .option('--namespace <ns>', 'the namespace a deployer token works in')
    .option('--app <namespace/name...>', 'apps a session-client token may open sessions of')
    .option('--ttl <duration>', 'lifetime (0 = never expires; default 24h for a join token, none for an admin token)', '24h')
    .option('--max-uses <n>', 'how many nodes may join with it')
    .option('--gateway', 'nodes that join with it may run a site gateway (others are refused one)')
    .option('--description <text>')
    .action(async (opts: { join?: boolean; admin?: boolean; ttl: string; maxUses?: string; description?: string; gateway?: boolean; role?: string; namespace?: string; app?: string[] }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      if (opts.role) opts.admin = true
      if (opts.admin && opts.join) throw new Error('choose --join or --admin/--role')
      const body: Record<string, unknown> = { type: opts.admin ? 'admin' : 'join', description: opts.description }
      if (opts.role) body.role = opts.role
      if (opts.namespace) body.namespace = opts.namespace
      if (opts.app) body.apps = opts.app
      // An admin token lives until revoked unless --ttl is given; a join token for 24 h by default.
      if (!opts.admin || cmd.getOptionValueSource('ttl') !== 'default') body.ttlSeconds = parseDuration(opts.ttl)
      if (opts.maxUses !== undefined) body.maxUses = Number(opts.maxUses)
      if (opts.gateway) body.gateway = true
      const res = (await client.http.request('POST', '/v1/tokens', body)) as { token: string }
      process.stdout.write(res.token + '\n')
    })
  token.command('list')
    .description('list credentials (never their secrets)')
    .action(async (_o: unknown, cmd: Command) => {
      const client = clientFrom(cmd.optsWithGlobals() as GlobalFlags)
      const res = (await client.http.request('GET', '/v1/tokens')) as { items: { id: string; type: string; role?: string; namespace?: string; node?: string; uses: number; maxUses?: number; expiresAt?: string; description?: string }[] }
      process.stdout.write(table(['ID', 'TYPE', 'NODE', 'USES', 'EXPIRES', 'DESCRIPTION'], res.items.map((t) => [t.id, t.role ? `${t.type}/${t.role}${t.namespace ? `@${t.namespace}` : ''}` : t.type, t.node ?? '-', `${t.uses}${t.maxUses ? `/${t.maxUses}` : ''}`, t.expiresAt ?? 'never', t.description ?? ''])))
    })
  token.command('revoke')
    .argument('<id>')
    .description('revoke a credential by id')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const client = clientFrom(cmd.optsWithGlobals() as GlobalFlags)
      await client.http.request('DELETE', `/v1/tokens/${encodeURIComponent(id)}`)
      process.stdout.write(`token ${id} revoked\n`)
    })
}
