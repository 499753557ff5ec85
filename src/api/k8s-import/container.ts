// A Deployment's pod template → the App template in the container shape agreed for issue 20
// (runtime: container, image, command/args, env, ports with containerPort, resources, probes,
// volumes as scratch space). Every field that has no equivalent becomes a warning naming it.
import type { Warn } from './warnings.js'

type Obj = Record<string, any>

/** Fields of a container that are mapped (or deliberately read) below; any other is reported. */
const CONTAINER_KNOWN = new Set(['name', 'image', 'command', 'args', 'env', 'ports', 'resources', 'readinessProbe', 'livenessProbe', 'workingDir', 'securityContext', 'volumeMounts'])
// Scheduling fields are the placement translation's (scheduling.ts) to report.
const POD_KNOWN = new Set(['containers', 'terminationGracePeriodSeconds', 'nodeSelector', 'affinity', 'volumes', 'tolerations', 'topologySpreadConstraints'])

export interface PortMap { byNumber: Map<number, string>; names: Set<string> }

export function translatePod(pod: Obj, at: string, warn: Warn): { template: Obj; ports: PortMap } {
  const containers: Obj[] = Array.isArray(pod.containers) ? pod.containers : []
  if (!containers.length) throw new Error(`${at}.containers: a Deployment needs at least one container`)
  const c = containers[0]
  const cAt = `${at}.containers[0]`
  for (const [i, other] of containers.slice(1).entries()) warn(`${at}.containers[${i + 1}]`, `container "${other.name ?? i + 1}" is dropped: an app runs one container per instance (only "${c.name}" is kept)`)
  for (const k of Object.keys(pod)) if (!POD_KNOWN.has(k)) warn(`${at}.${k}`, 'has no edgeplane equivalent and is ignored')
  for (const k of Object.keys(c)) if (!CONTAINER_KNOWN.has(k)) warn(`${cAt}.${k}`, 'has no edgeplane equivalent and is ignored')
  if (typeof c.image !== 'string' || !c.image) throw new Error(`${cAt}.image: a container needs an image`)

  const t: Obj = { runtime: 'container', image: c.image }
  // Kubernetes' command replaces the image ENTRYPOINT (a list); ours is one executable plus args.
  const command: string[] = Array.isArray(c.command) ? c.command.map(String) : []
  const args: string[] = Array.isArray(c.args) ? c.args.map(String) : []
  if (command.length) t.command = command[0]
  if (command.length > 1 || args.length) t.args = [...command.slice(1), ...args]
  else if (!command.length && args.length) t.args = args
  if (typeof c.workingDir === 'string') t.workingDir = c.workingDir

  const env: Obj = {}
  for (const [i, e] of (Array.isArray(c.env) ? c.env : []).entries()) {
    if (e?.valueFrom) { warn(`${cAt}.env[${i}].valueFrom`, `env "${e.name}" reads from ${Object.keys(e.valueFrom).join(', ')}: not supported, the variable is left out`); continue }
    if (typeof e?.name === 'string') env[e.name] = e.value === undefined ? '' : String(e.value)
  }
  if (Object.keys(env).length) t.env = env

  const ports: PortMap = { byNumber: new Map(), names: new Set() }
  const outPorts: Obj[] = []
  for (const [i, p] of (Array.isArray(c.ports) ? c.ports : []).entries()) {
    const pAt = `${cAt}.ports[${i}]`
    if (typeof p?.containerPort !== 'number') { warn(pAt, 'has no containerPort and is ignored'); continue }
    const protocol = String(p.protocol ?? 'TCP').toLowerCase()
    if (protocol !== 'tcp' && protocol !== 'udp') { warn(`${pAt}.protocol`, `${p.protocol} is not supported (tcp, udp); the port is ignored`); continue }
    const name = typeof p.name === 'string' && /^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$/.test(p.name) ? p.name : `p${p.containerPort}`
    if (p.name !== undefined && name !== p.name) warn(`${pAt}.name`, `"${p.name}" is not a valid port name here; the port is named "${name}"`)
    if (p.hostPort !== undefined) warn(`${pAt}.hostPort`, 'is not supported: the agent allocates the host port and maps it to containerPort')
    if (p.hostIP !== undefined) warn(`${pAt}.hostIP`, 'is not supported and is ignored')
    outPorts.push({ name, protocol, containerPort: p.containerPort })
    ports.byNumber.set(p.containerPort, name)
    ports.names.add(name)
  }
  if (outPorts.length) t.ports = outPorts

  const res = translateResources(c.resources, `${cAt}.resources`, warn)
  if (res) t.resources = res

  for (const [k8s, ours] of [['readinessProbe', 'readiness'], ['livenessProbe', 'liveness']] as const) {
    if (c[k8s]) {
      const probe = translateProbe(c[k8s], `${cAt}.${k8s}`, ports, warn)
      if (probe) t[ours] = probe
    }
  }
  if (c.securityContext) {
    for (const k of Object.keys(c.securityContext)) {
      if (k === 'readOnlyRootFilesystem') t.readOnlyRootFilesystem = !!c.securityContext[k]
      else warn(`${cAt}.securityContext.${k}`, 'is not supported and is ignored (containers run rootless with the runtime\'s defaults)')
    }
  }
  const volumes = translateVolumes(pod.volumes, c.volumeMounts, at, cAt, warn)
  if (volumes.length) t.volumes = volumes
  if (typeof pod.terminationGracePeriodSeconds === 'number') t.stopGracePeriodSeconds = pod.terminationGracePeriodSeconds
  return { template: t, ports }
}

function translateResources(r: Obj | undefined, at: string, warn: Warn): Obj | undefined {
  if (!r) return undefined
  for (const k of Object.keys(r)) if (k !== 'limits' && k !== 'requests') warn(`${at}.${k}`, 'is not supported and is ignored')
  const out: Obj = {}
  for (const key of ['cpu', 'memory']) {
    const limit = r.limits?.[key]
    const request = r.requests?.[key]
    // Our resources are both what placement reserves and the container's limit: the limit if given.
    if (limit !== undefined) out[key] = limit
    else if (request !== undefined) out[key] = request
    if (limit !== undefined && request !== undefined && String(limit) !== String(request)) {
      warn(`${at}.requests.${key}`, `differs from the limit (${request} vs ${limit}): edgeplane reserves and enforces one value, the limit ${limit}`)
    }
  }
  for (const part of ['limits', 'requests']) {
    for (const k of Object.keys(r[part] ?? {})) if (k !== 'cpu' && k !== 'memory') warn(`${at}.${part}.${k}`, 'is not supported (cpu and memory are) and is ignored')
  }
  return Object.keys(out).length ? out : undefined
}

const PROBE_KNOWN = new Set(['httpGet', 'tcpSocket', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold'])

function translateProbe(p: Obj, at: string, ports: PortMap, warn: Warn): Obj | undefined {
  for (const k of Object.keys(p)) if (!PROBE_KNOWN.has(k)) warn(`${at}.${k}`, k === 'exec' || k === 'grpc' ? `${k} probes are not supported (http and tcp are); the probe is dropped` : 'is not supported and is ignored')
  const out: Obj = {}
  const portName = (port: unknown, pAt: string): string | undefined => {
    if (typeof port === 'string' && ports.names.has(port)) return port
    if (typeof port === 'number' && ports.byNumber.has(port)) return ports.byNumber.get(port)
    warn(pAt, `port ${JSON.stringify(port)} is not a declared containerPort; the probe is dropped`)
    return undefined
  }
  if (p.httpGet) {
    for (const k of Object.keys(p.httpGet)) if (k !== 'path' && k !== 'port') warn(`${at}.httpGet.${k}`, 'is not supported and is ignored')
    const port = portName(p.httpGet.port, `${at}.httpGet.port`)
    if (!port) return undefined
    out.http = { path: typeof p.httpGet.path === 'string' ? p.httpGet.path : '/', port }
  } else if (p.tcpSocket) {
    const port = portName(p.tcpSocket.port, `${at}.tcpSocket.port`)
    if (!port) return undefined
    out.tcp = { port }
  } else return undefined
  for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold', 'successThreshold']) if (typeof p[k] === 'number') out[k] = p[k]
  return out
}

function translateVolumes(volumes: Obj[] | undefined, mounts: Obj[] | undefined, at: string, cAt: string, warn: Warn): Obj[] {
  const byName = new Map((volumes ?? []).map((v, i) => [v.name, { v, i }]))
  const out: Obj[] = []
  const used = new Set<string>()
  for (const [i, m] of (mounts ?? []).entries()) {
    const vol = byName.get(m.name)
    used.add(m.name)
    if (!vol) { warn(`${cAt}.volumeMounts[${i}]`, `mounts volume "${m.name}", which the pod does not declare; ignored`); continue }
    if (!vol.v.emptyDir) {
      const kind = Object.keys(vol.v).find((k) => k !== 'name') ?? 'unknown'
      warn(`${at}.volumes[${vol.i}].${kind}`, `volume "${m.name}" (${kind}) is not supported: only emptyDir scratch space is; not mounted`)
      continue
    }
    if (m.readOnly || m.subPath) warn(`${cAt}.volumeMounts[${i}]`, 'readOnly and subPath are not supported and are ignored')
    out.push({ name: m.name, mountPath: m.mountPath, ...(vol.v.emptyDir.sizeLimit ? { sizeLimit: vol.v.emptyDir.sizeLimit } : {}) })
  }
  for (const [name, vol] of byName) if (!used.has(name)) warn(`${at}.volumes[${vol.i}]`, `volume "${name}" is not mounted by the kept container; ignored`)
  return out
}
