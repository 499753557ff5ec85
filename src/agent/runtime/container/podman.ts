// Runs the podman CLI (the engine behind the container driver): asynchronously, with a timeout, and
// with the global flags this host needs. On a cgroup v1 host crun refuses to run ("cgroups in hybrid
// mode not supported"), so runc is chosen there when it is installed.
import { execFile, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

export interface PodmanResult {
  code: number
  stdout: string
  stderr: string
}

export interface PodmanOptions {
  /** The podman binary (default: podman on PATH). */
  bin?: string
  /** OCI runtime for `podman run` (default: runc on a cgroup v1 host when installed, else podman's own choice). */
  ociRuntime?: string
}

export class Podman {
  readonly bin: string
  readonly ociRuntime?: string

  constructor(o: PodmanOptions = {}) {
    this.bin = o.bin ?? 'podman'
    this.ociRuntime = o.ociRuntime ?? defaultOciRuntime()
  }

  /** Runs `podman ARGS`; never throws for a non-zero exit (the caller reads code and stderr). */
  run(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<PodmanResult> {
    return new Promise((resolve) => {
      execFile(this.bin, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20, env: opts.env ?? process.env }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null
        if (e && typeof e.code === 'string') return resolve({ code: 127, stdout: '', stderr: `cannot run ${this.bin}: ${e.code}` })
        if (e?.killed) return resolve({ code: 124, stdout: String(stdout), stderr: `${this.bin} ${args[0]} timed out after ${opts.timeoutMs ?? 60_000} ms` })
        resolve({ code: e ? Number(e.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) })
      })
    })
  }

  /** `podman run` flags that select the OCI runtime. */
  runtimeArgs(): string[] {
    return this.ociRuntime ? ['--runtime', this.ociRuntime] : []
  }
}

/** Whether podman can be run here at all (for skips and the demo). */
export function podmanAvailable(bin = 'podman'): boolean {
  const r = spawnSync(bin, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8', timeout: 20_000 })
  return !r.error && r.status === 0
}

function defaultOciRuntime(): string | undefined {
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers')
  if (v2) return undefined
  for (const p of ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc']) if (existsSync(p)) return p
  return undefined
}

/** The last meaningful line of podman's stderr (its "Error: ..." line), for status messages. */
export function podmanError(r: PodmanResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/level=(warning|info)/.test(l))
  const err = lines.reverse().find((l) => l.startsWith('Error:')) ?? lines[0] ?? `exit code ${r.code}`
  return err.replace(/^Error:\s*/, '').slice(0, 1000)
}
