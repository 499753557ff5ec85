// The request body as the upstream sees it: read from the client only when the upstream starts
// sending it (so a connection that fails first leaves the body untouched and the request can be
// retried elsewhere), counted against the body limit as it streams (chunked bodies), and never
// destroying the client's request when the upstream side is torn down.
import { Readable } from 'node:stream'
import type { IncomingMessage } from 'node:http'

export class BodyTooLargeError extends Error {
  readonly code = 'EDGEPLANE_BODY_TOO_LARGE'
  constructor(limit: number) { super(`request body exceeds ${limit} bytes`) }
}

export class ClientAbortedError extends Error {
  readonly code = 'EDGEPLANE_CLIENT_ABORTED'
  constructor() { super('client closed the request before its body was complete') }
}

export class RequestBody extends Readable {
  /** Bytes read from the client so far. */
  bytes = 0
  /** The client's body has been touched: the request can no longer be replayed. */
  started = false
  overLimit = false

  constructor(private readonly src: IncomingMessage, private readonly limit: number) {
    super()
  }

  override _read(): void {
    if (!this.started) {
      this.started = true
      this.src.on('data', this.onData)
      this.src.on('end', this.onEnd)
      this.src.on('close', this.onClose)
    }
    this.src.resume()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.detach()
    cb(err)
  }

  private readonly onData = (chunk: Buffer): void => {
    this.bytes += chunk.length
    if (this.bytes > this.limit) {
      this.overLimit = true
      this.src.pause()
      this.destroy(new BodyTooLargeError(this.limit))
      return
    }
    if (!this.push(chunk)) this.src.pause()
  }

  private readonly onEnd = (): void => {
    this.detach()
    this.push(null)
  }

  private readonly onClose = (): void => {
    if (!this.src.complete) this.destroy(new ClientAbortedError())
  }

  private detach(): void {
    this.src.off('data', this.onData)
    this.src.off('end', this.onEnd)
    this.src.off('close', this.onClose)
  }
}
