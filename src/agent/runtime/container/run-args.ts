// The `podman run` command line of an instance, from its template: a pure function, so what is
// enforced (memory, cpu quota, pids, read-only root, scratch tmpfs) and how ports are wired can be
// checked without running anything.
import { parseCpu, parseMemory } from '../../../api/quantity.js'
import type { Template } from '../../../api/kinds/index.js'
import { portEnvName } from '../../instance-env.js'

export const LABEL_INSTANCE = 'io.edgeplane.instance'
export const LABEL_ID = 'io.edgeplane.id'
export const LABEL_NODE = 'io.edgeplane.node'

/**
 * Both are needed on this kind of host: podman's default rlimits are refused ("error setting rlimit
 * type 7: operation not permitted"), these values are accepted.
 */
export const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024']

export interface RunArgsInput {
  name: string
  uid: string
  id: string
  node?: string
  template: Template
  /** The local image to run (id), already pulled. */
  image: string
  /** The node address and the agent-allocated host ports by port name. */
  host: string
  ports: Record<string, number>
  envFile: string
  runtimeArgs: string[]
}

/** Whether the container gets its own network namespace (some port has a containerPort). */
export function bridged(t: Template): boolean {
  return (t.ports ?? []).some((p) => p.containerPort !== undefined)
}

/**
 * The environment the container sees. Host networking: as for a process (HOST, PORT, PORT_<NAME>
 * are the node's). Bridged: the workload listens inside its own namespace, so HOST is 0.0.0.0 and
 * each port variable is the port inside the container (its containerPort, else the host port,
 * which is then published to the same number).
 */
export function containerEnv(t: Template, env: Record<string, string>, ports: Record<string, number>): Record<string, string> {
  if (!bridged(t)) return env
  const out: Record<string, string> = { ...env, HOST: '0.0.0.0' }
  const list = t.ports ?? []
  for (const p of list) out[portEnvName(p.name)] = String(p.containerPort ?? ports[p.name])
  if (list.length) out.PORT = out[portEnvName(list[0].name)]
  return out
}

export function runArgs(i: RunArgsInput): string[] {
  const t = i.template
  const a = ['run', '--detach', '--replace', '--name', i.name, ...i.runtimeArgs, ...ULIMITS,
    // The container's stdout/stderr are the file podman was started with: the instance log file.
    '--log-driver', 'passthrough',
    '--label', `${LABEL_INSTANCE}=${i.uid}`, '--label', `${LABEL_ID}=${i.id}`,
    ...(i.node ? ['--label', `${LABEL_NODE}=${i.node}`] : []),
    '--env-file', i.envFile,
  ]
  if (bridged(t)) {
    a.push('--network', 'bridge')
    for (const p of t.ports ?? []) {
      const hostPort = i.ports[p.name]
      a.push('--publish', `${hostAddr(i.host)}:${hostPort}:${p.containerPort ?? hostPort}/${p.protocol ?? 'tcp'}`)
    }
  } else {
    a.push('--network', 'host')
  }
  const r = t.resources
  if (r?.memory !== undefined) {
    const bytes = parseMemory(r.memory)
    // No swap on top: the limit is the limit.
    a.push('--memory', `${bytes}b`, '--memory-swap', `${bytes}b`)
  }
  if (r?.cpu !== undefined) a.push('--cpus', String(parseCpu(r.cpu) / 1000))
  if (r?.pids !== undefined) a.push('--pids-limit', String(r.pids))
  if (t.readOnlyRootFilesystem) a.push('--read-only', '--read-only-tmpfs=false')
  for (const v of t.volumes ?? []) {
    a.push('--mount', `type=tmpfs,destination=${v.mountPath}${v.sizeLimit !== undefined ? `,tmpfs-size=${parseMemory(v.sizeLimit)}` : ''}`)
  }
  if (t.workingDir) a.push('--workdir', t.workingDir)
  if (t.command) a.push('--entrypoint', JSON.stringify([t.command]))
  a.push(i.image, ...(t.args ?? []))
  return a
}

/** KEY=VALUE lines for --env-file; values with a newline cannot be written there (returned apart). */
export function envFileText(env: Record<string, string>): { text: string; rejected: string[] } {
  const lines: string[] = []
  const rejected: string[] = []
  for (const [k, v] of Object.entries(env)) {
    if (/[\n\r]/.test(v) || /[=\n\r\s]/.test(k) || !k) rejected.push(k)
    else lines.push(`${k}=${v}`)
  }
  return { text: lines.join('\n') + '\n', rejected }
}

/** A podman container name for an instance uid. */
export function containerName(uid: string): string {
  return `edgeplane-${uid.replace(/[^a-zA-Z0-9_.-]/g, '-')}`.slice(0, 200)
}

function hostAddr(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
