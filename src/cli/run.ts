// Entry point: runs the CLI with this process's arguments. An error no command caught (an event
// handler's) still reaches the user as one line, not as a JavaScript stack — except in the
// long-running roles, whose logs keep the whole stack for the operator.
import { formatError } from './errors.js'
import { main, runningCommand } from './main.js'
import { watchParentPipe } from '../lib/parent-pipe.js'

const DAEMONS = new Set(['edgeplane server', 'edgeplane agent', 'edgeplane sim', 'edgeplane demo'])
const fatal = (err: unknown) => {
  const command = runningCommand()
  process.stderr.write(formatError(err, { command, verbose: process.argv.includes('--verbose') || DAEMONS.has(command) }) + '\n')
  process.exit(1)
}
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)

// Started by the demo: stop when the demo is gone (a no-op otherwise).
watchParentPipe()
await main(process.argv)
