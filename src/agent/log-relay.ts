// Serves the server's log requests from the instance log files on this node.
import type { AgentMessage } from '../api/link.js'
import { readLog } from './runtime/log-files.js'

const CHUNK = 32 * 1024

export class LogRelay {
  private open = new Map<number, AbortController>()

  constructor(private send: (msg: AgentMessage) => boolean, private fileOf: (uid: string) => string | undefined) {}

  start(req: number, uid: string, follow: boolean, tailLines?: number): void {
    const file = this.fileOf(uid)
    if (!file) { this.send({ t: 'log-data', req, error: 'this instance is not on this node (any more)' }); return }
    const ac = new AbortController()
    this.open.set(req, ac)
    void (async () => {
      try {
        for await (const chunk of readLog(file, { follow, tailLines, signal: ac.signal })) {
          for (let i = 0; i < chunk.length; i += CHUNK) {
            if (!this.send({ t: 'log-data', req, data: chunk.slice(i, i + CHUNK) })) { ac.abort(); return }
          }
        }
        this.send({ t: 'log-data', req, end: true })
      } catch (err) {
        if (!ac.signal.aborted) this.send({ t: 'log-data', req, error: (err as Error).message })
      } finally {
        this.open.delete(req)
      }
    })()
  }

  close(req: number): void {
    this.open.get(req)?.abort()
    this.open.delete(req)
  }

  closeAll(): void {
    for (const ac of this.open.values()) ac.abort()
    this.open.clear()
  }
}
