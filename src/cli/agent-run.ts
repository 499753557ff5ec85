// Entry point of `edgeplane agent` alone: the command, options and help of the whole CLI's (the
// same registerAgent), without the server, the client verbs and their libraries. bin/edgeplane.js
// runs it for `edgeplane agent`, and the agent bundle (scripts/build-agent.mjs) is built from it.
import { Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { registerAgent } from './commands/agent.js'
import { formatError } from './errors.js'
import { watchParentPipe } from '../lib/parent-pipe.js'

// As run.ts does for the whole CLI: an error no handler caught ends the agent with its stack (a
// daemon's log keeps it), and an agent started by the demo stops when the demo is gone.
const fatal = (err: unknown) => {
  process.stderr.write(formatError(err, { command: 'edgeplane agent', verbose: true }) + '\n')
  process.exit(1)
}
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)
watchParentPipe()

async function main(argv: string[]): Promise<void> {
  // The global options of the whole CLI (main.ts), so every documented command line still parses;
  // the agent reads --server.
  const program = new Command('edgeplane')
    .version(VERSION)
    .option('--server <url>', 'API server (else $EDGEPLANE_SERVER)')
    .option('--token <token>', 'unused by the agent')
    .option('--ca-file <pem>', 'unused by the agent (its --ca-file option trusts a CA)')
    .option('-n, --namespace <ns>', 'unused by the agent', 'default')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  registerAgent(program)
  for (const c of program.commands) c.exitOverride()
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) { process.exitCode = err.exitCode; return }
    process.stderr.write(`error: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}

void main(process.argv)
