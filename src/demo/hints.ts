// What the demo prints, as pure functions of what it started: README's quick-start sample is
// these lines with the defaults (test/demo/readme-sample.test.ts keeps them equal).
import { homedir } from 'node:os'
import { relative, isAbsolute } from 'node:path'

export interface SiteLine { name: string; tier: string; region: string; provider: string; address: string }

/** A path as a user would type it here: relative to the working directory, or under ~. */
export function displayPath(p: string, cwd = process.cwd(), home = homedir()): string {
  const rel = relative(cwd, p)
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel
  return p.startsWith(home + '/') ? `~${p.slice(home.length)}` : p
}

export function startLines(dataDir: string, sites: SiteLine[]): string[] {
  return [
    `starting the server (SQLite in ${dataDir}/server)…`,
    ...sites.map((s) => `starting agent for site ${s.name.padEnd(10)} ${s.tier.padEnd(7)} ${s.region.padEnd(13)} ${s.provider.padEnd(11)} at ${s.address}`),
  ]
}

export interface ReadyValues {
  ready: number
  replicas: number
  sites: number
  url: string
  configPath: string
  dataDir: string
  /** The http endpoint of hello's instance in paris and tokyo. */
  endpoints: Record<string, string | undefined>
  dnsHost: string
  dnsPort: number
  gatewayPort: number
  /** The container app was built and applied (podman and docker-registry present). */
  containerApp?: boolean
}

export function readyLines(v: ReadyValues): string[] {
  return [
    '',
    `hello is ready: ${v.ready}/${v.replicas} instances on ${v.sites} sites`,
    `API:           ${v.url}`,
    `client config: ${v.configPath}`,
    `logs:          ${v.dataDir}/logs`,
    'in another terminal, in this directory (npx runs ./bin/edgeplane.js):',
    '  npx edgeplane get sites        # also: nodes, apps, instances, revisions, sessions, events',
    'reach instances at two different sites:',
    ...['paris', 'tokyo'].filter((s) => v.endpoints[s]).map((s) => `  curl http://${v.endpoints[s]}/   # ${s}, the instance itself`),
    'through the request path (DNS picks the nearest site, its gateway picks an instance):',
    `  dig @${v.dnsHost} -p ${v.dnsPort} hello.edge.test +subnet=198.51.100.0/24 +short   # a client in Paris`,
    `  dig @${v.dnsHost} -p ${v.dnsPort} hello.edge.test +subnet=203.0.113.0/24 +short    # a client in Tokyo`,
    `  curl -H 'Host: hello.edge.test' http://127.0.4.1:${v.gatewayPort}/   # Tokyo's gateway`,
    '  npx edgeplane route hello.edge.test --client-ip 192.0.2.10   # why New York',
    'a session for a player near Tokyo (a warm game instance, a token it checks itself):',
    '  npx edgeplane session create --app game --client-ip 203.0.113.9',
    'a rollout, wave by wave (canary first): change GREETING in examples/hello/app.yaml, then',
    '  npx edgeplane apply -f examples/hello/app.yaml && npx edgeplane rollout status hello --watch',
    ...(v.containerApp ? [
      'a container app (podman, memory/CPU/pids limits enforced, read-only root):',
      '  npx edgeplane get instances -l edgeplane.io/app=hello-container -o wide',
    ] : []),
    'Ctrl-C stops everything the demo started.',
  ]
}

/** The commands among the printed lines (indented, without their trailing comment). */
export function commandsIn(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('  ')).map((l) => l.replace(/\s+#.*$/, '').trim())
}
