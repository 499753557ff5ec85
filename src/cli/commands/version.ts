import type { Command } from 'commander'
import { VERSION } from '../../version.js'
import { clientFrom, type GlobalFlags } from '../context.js'

export function registerVersion(program: Command): void {
  program.command('version')
    .description('the versions of this client and of the server it talks to')
    .option('--client', 'the client\'s only (no server needed)')
    .action(async (opts: { client?: boolean }, cmd: Command) => {
      process.stdout.write(`Client Version: ${VERSION}\n`)
      if (opts.client) return
      const client = clientFrom(cmd.optsWithGlobals() as GlobalFlags)
      const v = (await client.http.request('GET', '/version')) as { version?: string; gitVersion?: string; store?: string }
      process.stdout.write(`Server Version: ${v.version ?? v.gitVersion ?? 'unknown'}${v.store ? ` (store: ${v.store})` : ''}\n`)
    })
}
