// Where the CLI finds its server and token: flags, then EDGEPLANE_SERVER / EDGEPLANE_TOKEN, then
// ~/.edgeplane/config.json (written by `login` and `demo`; EDGEPLANE_CONFIG points elsewhere).
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../lib/fs.js'

export interface ClientConfig { server?: string; token?: string; caFile?: string }

export function configPath(): string {
  return process.env.EDGEPLANE_CONFIG ?? join(homedir(), '.edgeplane', 'config.json')
}

export function readConfigFile(): ClientConfig {
  const p = configPath()
  if (!existsSync(p)) return {}
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ClientConfig
  } catch {
    throw new Error(`${p} is not valid JSON; fix it or run "edgeplane login" again`)
  }
}

export function writeConfigFile(cfg: ClientConfig): string {
  const p = configPath()
  writeFileAtomic(p, JSON.stringify(cfg, null, 2) + '\n', 0o600)
  return p
}

export function resolveConfig(flags: { server?: string; token?: string; caFile?: string }): Required<Pick<ClientConfig, 'server' | 'token'>> & ClientConfig & { ca?: string } {
  const file = readConfigFile()
  const server = flags.server ?? process.env.EDGEPLANE_SERVER ?? file.server ?? 'https://127.0.0.1:7420'
  const token = flags.token ?? process.env.EDGEPLANE_TOKEN ?? file.token
  if (!token) throw new Error('no token: pass --token, set EDGEPLANE_TOKEN, or run "edgeplane login --server URL --token TOKEN" (the admin token is in the server\'s DATA_DIR/admin.token)')
  const caFile = flags.caFile ?? process.env.EDGEPLANE_CA_FILE ?? file.caFile
  const ca = caFile && server.startsWith('https:') ? readCa(caFile) : undefined
  return { ...file, server, token, caFile, ca }
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new Error(`cannot read the CA file ${path} (set by --ca-file, EDGEPLANE_CA_FILE or the client config)`)
  }
}
