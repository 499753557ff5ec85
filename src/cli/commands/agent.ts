import { existsSync, readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { TIERS } from '../../api/kinds/tiers.js'
import { registriesConfPath } from '../../agent/images/node-images.js'

function collect(v: string, prev: string[]): string[] { return [...prev, v] }

export function parseLabels(list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of list) {
    const i = kv.indexOf('=')
    if (i <= 0) throw new Error(`--label "${kv}": use key=value`)
    out[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return out
}

export function parseGeo(s: string | undefined): { lat: number; lon: number } | undefined {
  if (!s) return undefined
  const [lat, lon] = s.split(',').map(Number)
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) throw new Error(`--geo "${s}": use LAT,LON in degrees, e.g. 48.85,2.35`)
  return { lat, lon }
}

export function registerAgent(program: Command): void {
  program.command('agent')
    .description('run the node agent: joins the server, runs this node\'s instances, keeps them running offline')
    .option('--join-token <token>', 'needed only the first time (from "edgeplane token create --join"); - reads it from stdin; visible in ps otherwise: prefer - or --join-token-file')
    .option('--join-token-file <path>', 'read the join token from this file (e.g. a systemd credential: $CREDENTIALS_DIRECTORY/join-token)')
    .requiredOption('--site <name>', 'the site this node belongs to')
    .option('--region <region>', 'the site\'s region', 'default')
    .option('--provider <provider>', 'who runs the site (self, a vendor name)', 'self')
    .option('--tier <tier>', 'edge or central', 'edge')
    .option('--geo <lat,lon>', 'where the site is')
    .option('--label <k=v>', 'a label of this node and its site (repeatable)', collect, [])
    .option('--address <ip>', 'the address instances bind to and are reached at', '127.0.0.1')
    .option('--name <node>', 'node name (default: <site>-<hostname>)')
    .requiredOption('--data-dir <dir>', 'credential, desired state and instance logs')
    .option('--cpu <quantity>', 'cpu to offer (default: all cores), e.g. 2 or 1500m')
    .option('--memory <quantity>', 'memory to offer (default: all), e.g. 4Gi')
    .option('--stop-instances-on-exit', 'stop this node\'s instances when the agent exits (by default they keep running)')
    .option('--gateway <host:port>', 'run the site gateway here (end users\' HTTP enters the site through it)')
    .option('--registry-cache <host:port>', 'run the site\'s pull-through registry cache here (docker-registry; the host must be --address): every node of the site pulls through it')
    .option('--metrics-listen <host:port>', 'serve Prometheus /metrics there (e.g. 127.0.0.1:9101)')
    .option('--ca-file <pem>', 'trust this CA for the server (instead of the fingerprint pinned in the join token)')
    .option('--accept-older-desired', 'accept a desired state older than the one held (after restoring the server from a backup)')
    .action(async (o: Record<string, string & string[] & boolean>, cmd: Command) => {
      // --server is the global option (shared with the client verbs).
      const server = (cmd.optsWithGlobals() as { server?: string }).server ?? process.env.EDGEPLANE_SERVER
      if (!server) throw new Error('the agent needs --server URL')
      if (!(TIERS as readonly string[]).includes(o.tier)) throw new Error(`--tier must be edge or central`)
      const labels = parseLabels(o.label)
      // The agent's timers are unref'd and its instances are detached, so while the server is out of
      // reach (joining, or the link down) nothing else holds the event loop: without this the agent
      // would quietly exit 0 as soon as its server went away.
      // Every podman this agent runs (pre-pulls, containers) pulls through the site cache it is told of.
      process.env.CONTAINERS_REGISTRIES_CONF = registriesConfPath(o.dataDir)
      const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
      let agent
      try {
        // Loaded when run: every other command starts without this role's modules. Loading them
        // overlaps waiting for a token on stdin (the demo starts agents before its server is up).
        const [{ startAgent }, joinToken] = await Promise.all([import('../../agent/agent.js'), o.joinToken === '-' ? readStdin() : o.joinToken])
        if (o.joinToken === '-' && !joinToken) throw new Error('--join-token -: stdin ended without a token')
        agent = await startAgent({
          server, joinToken: joinToken ?? (o.joinTokenFile && existsSync(o.joinTokenFile) ? readFileSync(o.joinTokenFile, 'utf8').trim() : undefined), dataDir: o.dataDir, name: o.name, address: o.address,
          site: { name: o.site, region: o.region, provider: o.provider, tier: o.tier as 'edge' | 'central', ...(o.geo ? { geo: parseGeo(o.geo) } : {}), labels },
          labels, capacity: { cpu: o.cpu, memory: o.memory }, acceptOlderDesired: !!o.acceptOlderDesired, caFile: o.caFile, gateway: o.gateway, metricsListen: o.metricsListen,
          ...(o.registryCache ? { registryCache: o.registryCache } : {}),
        })
      } catch (err) {
        clearInterval(keepAlive)
        throw err
      }
      process.stderr.write(`edgeplane agent: node ${agent.node} in site ${o.site}, server ${server}\n`)
      const running = agent
      const stop = () => { void running.stop({ stopInstances: !!o.stopInstancesOnExit }).finally(() => process.exit(0)) }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text.trim()
}
