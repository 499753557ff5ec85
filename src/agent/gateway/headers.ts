// Header handling on the hot path: one pass over the request's raw headers picks what routing and
// the limits need and builds the upstream header list without hop-by-hop headers; response headers
// lose their hop-by-hop headers before going back to the client.
/** What a request's headers say, plus its upstream header list ([name, value, ...]). */
export interface RequestHead {
  /** The first Host header value as sent ('' when absent). */
  host: string
  /** Content-Length, or -1 when absent; NaN when malformed. */
  contentLength: number
  /** Transfer-Encoding was present (a body of unknown length follows). */
  chunked: boolean
  hops: string | undefined
  overflowFrom: string | undefined
  forwardedFor: string | undefined
  /** x-edgeplane-peer: a peer gateway's proof (see peer-proof.ts); never passed upstream as received. */
  peer: string | undefined
  upgrade: string | undefined
  /** Upstream headers: every end-to-end header; host kept; x-forwarded-for and hop headers left out. */
  base: string[]
}

// Names are matched by length first so most headers cost one comparison.
const DROP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization'])

export function scanRequestHead(raw: readonly string[], keepUpgrade = false): RequestHead {
  const head: RequestHead = {
    host: '', contentLength: -1, chunked: false, hops: undefined, overflowFrom: undefined,
    forwardedFor: undefined, peer: undefined, upgrade: undefined, base: [],
  }
  let connection: string | undefined
  let seenHost = false
  const base = head.base
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    const value = raw[i + 1]
    const lower = isLower(name) ? name : name.toLowerCase()
    switch (lower) {
      case 'host':
        if (seenHost) continue // a second Host is dropped (never forwarded)
        seenHost = true
        head.host = value
        break
      case 'content-length':
        if (head.contentLength !== -1) continue
        head.contentLength = /^\d+$/.test(value) ? Number(value) : NaN
        break
      case 'transfer-encoding':
        head.chunked = true
        continue
      case 'x-edgeplane-hops':
        head.hops = value
        continue
      case 'x-edgeplane-overflow-from':
        head.overflowFrom = head.overflowFrom === undefined ? value : `${head.overflowFrom}, ${value}`
        continue
      case 'x-edgeplane-peer':
        head.peer = value
        continue
      case 'x-forwarded-for':
        head.forwardedFor = head.forwardedFor === undefined ? value : `${head.forwardedFor}, ${value}`
        continue
      case 'connection':
        connection = connection === undefined ? value : `${connection}, ${value}`
        if (keepUpgrade) break
        continue
      case 'upgrade':
        head.upgrade = value
        if (keepUpgrade) break
        continue
      default:
        if (DROP.has(lower)) continue
    }
    base.push(name, value)
  }
  if (connection !== undefined) dropConnectionTokens(base, connection)
  return head
}

/** Headers named in Connection are hop-by-hop too (RFC 9110 7.6.1). */
function dropConnectionTokens(base: string[], connection: string): void {
  const tokens = connection.toLowerCase().split(',').map((t) => t.trim())
    .filter((t) => t && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade')
  if (!tokens.length) return
  for (let i = base.length - 2; i >= 0; i -= 2) {
    if (tokens.includes(base[i].toLowerCase())) base.splice(i, 2)
  }
}

function isLower(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 65 && c <= 90) return false
  }
  return true
}

/**
 * An upstream response's raw headers ([name, value, ...] as undici hands them over) → the flat list
 * Node's writeHead takes as is, without hop-by-hop headers (and without any x-edgeplane-site when
 * `site` is given: that one is ours to set). No header object, no lower-casing of every name.
 */
export function responseHeaders(raw: readonly (Buffer | string)[], site?: string): string[] {
  const out: string[] = []
  let connection: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1')
    const value = raw[i + 1].toString('latin1')
    const drop = responseDrop(name, site !== undefined)
    if (drop === 2) connection = connection === undefined ? value : `${connection}, ${value}`
    if (drop) continue
    out.push(name, value)
  }
  if (connection !== undefined && !/^\s*(keep-alive|close)\s*$/i.test(connection)) dropConnectionTokens(out, connection)
  if (site !== undefined) out.push('x-edgeplane-site', site)
  return out
}

/** 0: keep; 1: hop-by-hop (or our site header); 2: Connection itself. Length first: most names cost one compare. */
function responseDrop(name: string, dropSite: boolean): 0 | 1 | 2 {
  switch (name.length) {
    case 2: return name.toLowerCase() === 'te' ? 1 : 0
    case 7: { const l = name.toLowerCase(); return l === 'trailer' || l === 'upgrade' ? 1 : 0 }
    case 10: { const l = name.toLowerCase(); return l === 'connection' ? 2 : l === 'keep-alive' ? 1 : 0 }
    case 16: { const l = name.toLowerCase(); return l === 'proxy-connection' || (dropSite && l === 'x-edgeplane-site') ? 1 : 0 }
    case 17: return name.toLowerCase() === 'transfer-encoding' ? 1 : 0
    default: return 0
  }
}
