// Host header → route key: lower case, port stripped, trailing dot dropped; IPv6 literals keep
// their brackets. Returns '' for an empty or malformed value.

export function normalizeHost(value: string | undefined): string {
  if (!value) return ''
  let h = value.trim()
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']')
    if (end < 0) return ''
    h = h.slice(0, end + 1)
  } else {
    const colon = h.indexOf(':')
    if (colon >= 0) h = h.slice(0, colon)
  }
  if (h.endsWith('.')) h = h.slice(0, -1)
  return h.toLowerCase()
}

/** 'HOST:PORT' (or '[v6]:PORT') → parts; throws with the expected form. */
export function parseHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':')
  const host = i > 0 ? value.slice(0, i).replace(/^\[(.*)\]$/, '$1') : ''
  const port = Number(value.slice(i + 1))
  if (i <= 0 || !host || !Number.isInteger(port) || port < 0 || port > 65535 || value.slice(i + 1) === '') {
    throw new Error(`expected HOST:PORT (e.g. 127.0.0.1:8080), got "${value}"`)
  }
  return { host, port }
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
