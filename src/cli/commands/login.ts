import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { HttpClient } from '../../lib/http-client.js'
import { writeConfigFile } from '../config.js'

export function registerLogin(program: Command): void {
  program.command('login')
    .description('check a server and token, and save them to ~/.edgeplane/config.json')
    .option('--token-file <file>', 'read the token from a file (e.g. DATA_DIR/admin.token)')
    .action(async (opts: { tokenFile?: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as { server?: string; token?: string; caFile?: string }
      const server = flags.server ?? process.env.EDGEPLANE_SERVER ?? 'https://127.0.0.1:7420'
      const caFile = flags.caFile ?? process.env.EDGEPLANE_CA_FILE
      const ca = caFile ? readFileSync(caFile, 'utf8') : undefined
      const token = opts.tokenFile ? readFileSync(opts.tokenFile, 'utf8').trim() : flags.token ?? process.env.EDGEPLANE_TOKEN
      if (!token) throw new Error('login needs --token TOKEN or --token-file FILE')
      const http = new HttpClient({ baseUrl: server, token, ca })
      const v = (await http.request('GET', '/version')) as { version: string }
      await http.request('GET', '/apis/edgeplane.io/v1/sites')
      const path = writeConfigFile({ server, token, ...(caFile ? { caFile: resolve(caFile) } : {}) })
      process.stdout.write(`logged in to ${server} (server ${v.version}); saved to ${path}\n`)
    })
}
