// The agent bundle (scripts/build-agent.mjs, what `edgeplane agent` and the systemd unit run), built
// from this source: it holds none of the server's or the schema compiler's libraries, and as a real
// process it joins a real server over TLS, becomes Ready and runs an instance.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { api, cli, pidRunning, ROOT, startServerProc, testScope, waitNodesReady, waitUntil, workloadManifest, type Proc } from './fleet-helpers.js'
import { spawn } from 'node:child_process'

test('the agent bundle joins a real server and runs an instance', { timeout: 180_000 }, async (t) => {
  const instancePids: number[] = []
  const tmp = testScope(t, 'bundle', { pids: () => instancePids })
  const bundle = join(tmp.dir, 'edgeplane-agent.mjs')
  const meta = join(tmp.dir, 'meta.json')
  const built = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-agent.mjs'), '--from-src', '--out', bundle, '--metafile', meta], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(built.status, 0, built.stderr)

  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs as Record<string, unknown>)
  const packages = new Set(inputs.filter((f) => f.includes('node_modules/')).map((f) => f.split('node_modules/').pop()!.split('/')[0]))
  for (const heavy of ['typebox', 'pino', 'yaml', 'fastify', 'better-sqlite3', 'pg', 'kubernetes-models', 'maxmind']) {
    assert.ok(!packages.has(heavy), `the agent bundle must not carry ${heavy} (it has: ${[...packages].join(', ')})`)
  }
  assert.ok(!inputs.some((f) => /src\/(server|store|controllers)\//.test(f)), 'the agent never imports server, store or controllers')
  assert.ok(inputs.some((f) => f.endsWith('src/api/link-server-schemas.ts')), 'the link schemas are in, as JSON')

  const server = await startServerProc(join(tmp.dir, 'server'), ['--heartbeat-seconds', '1', '--node-grace-seconds', '3'])
  tmp.procs.push(server)
  const env = { ...server.env, EDGEPLANE_CONFIG: join(tmp.dir, 'config.json') }
  const joinToken = await cli(['token', 'create', '--join'], env)
  assert.equal(joinToken.code, 0, joinToken.stderr)

  const proc = spawn(process.execPath, [bundle, 'agent', '--server', server.url, '--join-token', joinToken.stdout.trim(), '--site', 'bundled',
    '--address', '127.0.23.1', '--name', 'bundled-1', '--label', 'bundle=yes', '--data-dir', join(tmp.dir, 'agent')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout.on('data', (d) => { out += d })
  proc.stderr.on('data', (d) => { out += d })
  const agent: Proc = { proc, output: () => out, kill: (sig = 'SIGKILL') => new Promise<void>((r) => { if (proc.exitCode !== null || proc.signalCode !== null) return r(); proc.once('exit', () => r()); proc.kill(sig) }) }
  tmp.procs.push(agent)
  await waitNodesReady(server, 1)
  assert.match(out, /edgeplane agent: node bundled-1 in site bundled/)

  const manifest = join(tmp.dir, 'app.yaml')
  writeFileSync(manifest, workloadManifest('bundled', { replicas: 1, extra: '  placement: {siteSelector: {matchLabels: {bundle: "yes"}}}\n' }))
  const applied = await cli(['apply', '-f', manifest], env)
  assert.equal(applied.code, 0, applied.stderr)
  const inst = await waitUntil('a ready instance on the bundled agent', async () => {
    const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
    return body.items.find((i: any) => i.status?.ready && i.status?.pid)
  }, 60_000)
  instancePids.push(inst.status.pid)
  assert.equal(inst.spec.node, 'bundled-1')
  assert.ok(pidRunning(inst.status.pid), 'the instance is a running process')
  const res = await fetch(`http://${inst.status.endpoints.http}/`)
  assert.equal(res.status, 200, 'the instance serves')
})

test('the packaged systemd unit runs the bundle npm run build writes, with node flags node accepts', () => {
  const unit = readFileSync(join(ROOT, 'deploy', 'systemd', 'edgeplane-agent.service'), 'utf8').replace(/\\\n\s*/g, ' ')
  const exec = /^ExecStart=(\S+) (.*)$/m.exec(unit)
  assert.ok(exec, 'the unit has an ExecStart')
  const words = exec[2].split(/\s+/)
  const entry = words.findIndex((w) => !w.startsWith('--'))
  assert.equal(words[entry], '/opt/edgeplane/dist/edgeplane-agent.mjs', 'the unit runs the bundle')
  assert.equal(words[entry + 1], 'agent')
  assert.match(readFileSync(join(ROOT, 'scripts', 'build-agent.mjs'), 'utf8'), /join\(root, 'dist', 'edgeplane-agent\.mjs'\)/, 'where the build writes it')
  const flags = words.slice(0, entry)
  const ran = spawnSync(process.execPath, [...flags, '-e', '0'], { encoding: 'utf8' })
  assert.equal(ran.status, 0, `node refuses ${flags.join(' ')}: ${ran.stderr}`)
})
