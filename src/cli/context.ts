// What every client command needs: a client for the configured server, and error printing.
import { ApiError } from '../api/errors.js'
import { HttpClient } from '../lib/http-client.js'
import { resolveConfig } from './config.js'
import { ResourceClient } from './resource-client.js'

export interface GlobalFlags { server?: string; token?: string; caFile?: string; namespace?: string }

export function clientFrom(flags: GlobalFlags): ResourceClient {
  const cfg = resolveConfig(flags)
  return new ResourceClient(new HttpClient({ baseUrl: cfg.server, token: cfg.token, ca: cfg.ca }))
}

export function formatError(err: unknown): string {
  if (err instanceof ApiError) {
    const causes = err.details.causes ?? []
    const extra = causes.length > 3 ? causes.map((c) => `\n  - ${c.field ? `${c.field}: ` : ''}${c.message}`).join('') : ''
    return `error: ${err.message}${extra}`
  }
  return `error: ${(err as Error)?.message ?? String(err)}`
}
