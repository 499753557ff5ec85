// A small client of the server's HTTP API (used by the CLI and by the agent to join). Errors come
// back as the same typed ApiError the server raised, rebuilt from its Status body.
import { Agent, request, type Dispatcher } from 'undici'
import { ApiError, fromStatus } from '../api/errors.js'

export interface HttpClientOptions {
  baseUrl: string
  token?: string
  /** PEM of a CA to trust (a server with its own CA). */
  ca?: string
  timeoutMs?: number
  /** false: close the connection after each request (for rare calls, e.g. an agent's rotation). */
  keepAlive?: boolean
}

export class HttpClient {
  readonly baseUrl: string
  private dispatcher: Dispatcher | undefined

  constructor(private o: HttpClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '')
    if (o.ca) this.dispatcher = new Agent({ connect: { ca: o.ca } })
  }

  get token(): string | undefined { return this.o.token }
  get ca(): string | undefined { return this.o.ca }

  /** Sends a JSON (or raw text with a content type) request; returns the parsed JSON body. */
  async request(method: string, path: string, body?: unknown, token = this.o.token, contentType = 'application/json'): Promise<unknown> {
    const res = await this.raw(method, path, body, token, contentType)
    const text = await res.body.text()
    let parsed: unknown = text
    try { parsed = text ? JSON.parse(text) : undefined } catch { /* plain text */ }
    if (res.statusCode >= 400) throw fromStatus(parsed, res.statusCode)
    return parsed
  }

  /** The response as a stream of text (watch, logs). Throws the server's error for a 4xx/5xx. */
  async stream(path: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const res = await this.raw('GET', path, undefined, this.o.token, 'application/json', signal, 0)
    if (res.statusCode >= 400) {
      const text = await res.body.text()
      let parsed: unknown = text
      try { parsed = JSON.parse(text) } catch { /* plain */ }
      throw fromStatus(parsed, res.statusCode)
    }
    res.body.setEncoding('utf8')
    return res.body as AsyncIterable<string>
  }

  private async raw(method: string, path: string, body: unknown, token: string | undefined, contentType: string, signal?: AbortSignal, timeoutMs = this.o.timeoutMs ?? 30_000) {
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `Bearer ${token}`
    let payload: string | undefined
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body)
      headers['content-type'] = contentType
    }
    try {
      return await request(this.baseUrl + path, {
        method: method as Dispatcher.HttpMethod, headers, body: payload, signal, reset: this.o.keepAlive === false,
        dispatcher: this.dispatcher, headersTimeout: timeoutMs || undefined, bodyTimeout: timeoutMs,
      })
    } catch (err) {
      if (signal?.aborted) throw err
      const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
      const code = e.code ?? e.cause?.code
      throw new ApiError('Unavailable', `cannot reach the server at ${this.baseUrl}: ${code ?? e.message}`)
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.close()
  }
}
