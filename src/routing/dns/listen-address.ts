// "HOST:PORT" (or "[v6]:PORT") of --dns-listen, read once at start-up.
import { isIP } from 'node:net'
import { ApiError } from '../../api/errors.js'

export const DEFAULT_DNS_LISTEN = '127.0.0.1:5353'

export interface ListenAddress { host: string; port: number; family: 4 | 6 }

export function parseListenAddress(s: string, field = 'dns-listen'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s.trim())
  const host = m ? (m[1] ?? m[2]) : ''
  const family = isIP(host)
  const port = m ? Number(m[3]) : NaN
  if (!m || !family || port > 65535) {
    const message = `"${s}" is not IP:PORT (e.g. 127.0.0.1:5353 or [::1]:5353; port 0 picks a free one)`
    throw new ApiError('Invalid', `${field}: ${message}`, { causes: [{ field, message }] })
  }
  return { host, port, family: family as 4 | 6 }
}
