// Pre-distribution on the node: keeps the images the server asks for present in podman's storage,
// pulled one at a time (a site's uplink is thin) through the site cache (registries.conf). Each
// image is pulling, present, or failed with podman's reason; a failed pull is retried with backoff
// and stays "failed" (with the reason and the next try) meanwhile — it never restarts anything.
import { execFile } from 'node:child_process'
import type { Clock, TimerHandle } from '../../lib/clock.js'
import type { Logger } from '../../lib/log.js'
import type { ImagePullReport } from '../../api/link.js'
import { restartDelay, type RestartBackoff } from '../supervisor/backoff.js'

export interface PodmanRunner {
  /** Runs podman with these arguments; resolves with the exit code and stderr. */
  (args: string[]): Promise<{ code: number; stderr: string }>
}

/** podman itself, with global options (e.g. --root for a storage of its own) and an environment. */
export function podmanRunner(o: { globalArgs?: string[]; env?: () => NodeJS.ProcessEnv; timeoutMs?: number } = {}): PodmanRunner {
  return (args) => new Promise((resolve) => {
    execFile('podman', [...(o.globalArgs ?? []), ...args], { env: o.env?.() ?? process.env, timeout: o.timeoutMs ?? 30 * 60_000, maxBuffer: 4 << 20 }, (err, _out, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0
      resolve({ code, stderr: String(stderr || (err && code === 127 ? err.message : '')) })
    })
  })
}

export interface PrepullerOptions {
  podman: PodmanRunner
  clock: Clock
  log: Logger
  backoff?: RestartBackoff
  /** Every change of any image's state: the whole list. */
  onChange?: (reports: ImagePullReport[]) => void
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 5000, maxMs: 300_000, resetAfterMs: Infinity }

interface Entry { report: ImagePullReport; failures: number; retry?: TimerHandle }

export class Prepuller {
  private entries = new Map<string, Entry>()
  private queue: string[] = []
  private running = false
  private stopped = false

  constructor(private o: PrepullerOptions) {}

  reports(): ImagePullReport[] {
    return [...this.entries.values()].map((e) => e.report)
  }

  /** The images to have present (the whole set): new ones are queued, dropped ones forgotten (not removed from storage). */
  setWanted(images: readonly string[]): void {
    const want = new Set(images)
    let changed = false
    for (const [image, e] of this.entries) {
      if (want.has(image)) continue
      e.retry?.cancel()
      this.entries.delete(image)
      changed = true
    }
    this.queue = this.queue.filter((i) => want.has(i))
    for (const image of want) {
      if (this.entries.has(image)) continue
      this.entries.set(image, { report: { image, state: 'pulling' }, failures: 0 })
      this.queue.push(image)
      changed = true
    }
    if (changed) this.emit()
    void this.drain()
  }

  private emit(): void { this.o.onChange?.(this.reports()) }

  private async drain(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      while (!this.stopped) {
        const image = this.queue.shift()
        if (!image) break
        await this.pull(image)
      }
    } finally {
      this.running = false
    }
  }

  private async pull(image: string): Promise<void> {
    const e = this.entries.get(image)
    if (!e) return
    if (e.report.state !== 'pulling') { e.report = { image, state: 'pulling' }; this.emit() }
    const exists = await this.o.podman(['image', 'exists', image])
    const res = exists.code === 0 ? exists : await this.o.podman(['pull', '-q', image])
    if (this.entries.get(image) !== e || this.stopped) return
    if (res.code === 0) {
      e.failures = 0
      e.report = { image, state: 'present' }
      this.o.log.info({ image }, 'image present')
    } else {
      const delay = restartDelay(++e.failures, this.o.backoff ?? DEFAULT_BACKOFF)
      const reason = podmanReason(res.stderr) || `podman exited with code ${res.code}`
      e.report = { image, state: 'failed', message: `${reason} (attempt ${e.failures}; retrying in ${Math.round(delay / 1000)}s)`.slice(0, 1024) }
      this.o.log.warn({ image, reason, retryInMs: delay }, 'image pull failed')
      e.retry = this.o.clock.setTimeout(() => {
        if (this.entries.get(image) !== e) return
        this.queue.push(image)
        void this.drain()
      }, delay)
    }
    this.emit()
  }

  stop(): void {
    this.stopped = true
    for (const e of this.entries.values()) e.retry?.cancel()
  }
}

/** The line of podman's stderr that says what went wrong (its last "Error: …"), shortened. */
export function podmanReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const err = [...lines].reverse().find((l) => l.startsWith('Error:')) ?? lines[lines.length - 1] ?? ''
  return err.replace(/^Error:\s*/, '').slice(0, 800)
}
