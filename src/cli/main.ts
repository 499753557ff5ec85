// The edgeplane command line: one binary for every role (server, agent, demo) and the client verbs.
import { Command, CommanderError } from 'commander'
import { VERSION } from '../version.js'
import { formatError } from './context.js'
import { registerAgent } from './commands/agent.js'
import { registerApply } from './commands/apply.js'
import { registerDelete } from './commands/delete.js'
import { registerDemo } from './commands/demo.js'
import { registerDescribe } from './commands/describe.js'
import { registerGet } from './commands/get.js'
import { registerLogin } from './commands/login.js'
import { registerLogs } from './commands/logs.js'
import { registerServer } from './commands/server.js'
import { registerToken } from './commands/token.js'
import { registerRoute } from './commands/route.js'
import { registerRollout } from './commands/rollout.js'
import { registerSession } from './commands/session.js'
import { registerSim } from './commands/sim.js'
import { registerStore } from './commands/store.js'
import { registerVersion } from './commands/version.js'

export function buildProgram(): Command {
  const program = new Command('edgeplane')
    .description('edgeplane: run applications across many small edge sites as one pool')
    .version(VERSION)
    .option('--server <url>', 'API server (else $EDGEPLANE_SERVER, else ~/.edgeplane/config.json)')
    .option('--token <token>', 'bearer token (else $EDGEPLANE_TOKEN, else ~/.edgeplane/config.json)')
    .option('--ca-file <pem>', 'CA to trust for an https server (else $EDGEPLANE_CA_FILE, else the client config)')
    .option('-n, --namespace <ns>', 'namespace of namespaced resources', 'default')
    .option('--verbose', 'on an unexpected error, print its details (stack) too')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  for (const register of [registerServer, registerAgent, registerDemo, registerApply, registerGet, registerDescribe, registerDelete, registerLogs, registerRollout, registerRoute, registerSession, registerToken, registerLogin, registerSim, registerStore, registerVersion]) register(program)
  for (const c of program.commands) c.exitOverride()
  return program
}

/** "rollout status" for the command being run, to say what failed. */
function commandPath(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name())
  return `edgeplane ${names.join(' ')}`.trim()
}

let running = 'edgeplane'
/** The command under way ("edgeplane get"), for errors raised outside it. */
export const runningCommand = () => running

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram()
  running = 'edgeplane'
  program.hook('preAction', (_p, action) => { running = commandPath(action) })
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode
      return
    }
    const verbose = !!program.opts().verbose || argv.includes('--verbose')
    process.stderr.write(formatError(err, { command: running, verbose }) + '\n')
    process.exitCode = 1
  }
}
