// Certificate pinning helpers shared by the agent (join) and the CLI.
import { X509Certificate } from 'node:crypto'
import { Agent, request } from 'undici'
import { ApiError } from '../api/errors.js'

/** Lower-case hex SHA-256 of a certificate's DER (what a join token pins). */
export function certFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase()
}

/**
 * Fetches the server's CA without trusting anyone yet, and accepts it only if its fingerprint is
 * the pinned one. After this, every connection verifies the server against that CA.
 */
export async function fetchPinnedCa(serverUrl: string, pin: string): Promise<string> {
  const insecure = new Agent({ connect: { rejectUnauthorized: false } })
  try {
    const res = await request(`${serverUrl.replace(/\/+$/, '')}/v1/ca.crt`, { dispatcher: insecure }).catch((err: NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }) => {
      throw new ApiError('Unavailable', `cannot reach the server at ${serverUrl}: ${err.code ?? err.cause?.code ?? err.message}`)
    })
    const pem = await res.body.text()
    if (res.statusCode !== 200) throw new Error(`the server did not hand out its CA (HTTP ${res.statusCode})`)
    const got = certFingerprint(pem)
    if (got !== pin.toLowerCase()) {
      throw new Error(`the server's CA fingerprint ${got} is not the one in the join token (${pin}): refusing to trust it (wrong server, or someone in the middle)`)
    }
    return pem
  } finally {
    await insecure.close()
  }
}
