import type { Command } from 'commander'
import { clientFrom, type GlobalFlags } from '../context.js'

export function registerLogs(program: Command): void {
  program.command('logs')
    .description("print an instance's output (stdout and stderr), fetched from its node")
    .argument('<instance>')
    .option('-f, --follow', 'keep streaming new output')
    .option('--tail <lines>', 'only the last N lines')
    .action(async (instance: string, opts: { follow?: boolean; tail?: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const tailLines = opts.tail === undefined ? undefined : Number(opts.tail)
      if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 0)) throw new Error('--tail takes a whole number of lines')
      const client = clientFrom(flags)
      const ac = new AbortController()
      process.once('SIGINT', () => ac.abort())
      try {
        for await (const chunk of await client.logs(flags.namespace ?? 'default', instance, { follow: opts.follow, tailLines }, ac.signal)) process.stdout.write(chunk)
      } catch (err) {
        if (!ac.signal.aborted) throw err
      }
    })
}
