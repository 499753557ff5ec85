// What every client command needs: a client for the configured server, and error printing.
import { HttpClient } from '../lib/http-client.js'
import { resolveConfig } from './config.js'
import { ResourceClient } from './resource-client.js'

export interface GlobalFlags { server?: string; token?: string; caFile?: string; namespace?: string }

export function clientFrom(flags: GlobalFlags): ResourceClient {
  const cfg = resolveConfig(flags)
  return new ResourceClient(new HttpClient({ baseUrl: cfg.server, token: cfg.token, ca: cfg.ca }))
}

export { formatError } from './errors.js'
