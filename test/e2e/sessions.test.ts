// Sessions end to end with real processes: a warm pool of examples/game instances, a session
// created through the CLI near the user, a WebSocket connection admitted with its token (and one
// refused without), release, and the slot handed to the next user.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import WebSocket from 'ws'
import { api, cli, ROOT, startCli, startServerProc, waitUntil, testScope } from './fleet-helpers.js'

function connect(url: string): Promise<{ ws: WebSocket; first: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('message', (d) => resolve({ ws, first: JSON.parse(d.toString()) }))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

test('sessions: warm pool, create near the user, connect with the token, release, reuse', { timeout: 180_000 }, async (t) => {
  const pids: number[] = []
  const tmp = testScope(t, 'sessions', { pids: () => pids })
  const procs = tmp.procs
  const server = await startServerProc(join(tmp.dir, 'server'), ['--heartbeat-seconds', '1', '--no-dns'])
  procs.push(server)
  const env = server.env
  const joinToken = (await cli(['token', 'create', '--join'], env)).stdout.trim()
  procs.push(startCli(['agent', '--server', server.url, '--join-token', joinToken, '--site', 'lyon', '--geo', '45.76,4.84',
    '--address', '127.0.61.1', '--name', 'lyon-1', '--data-dir', join(tmp.dir, 'lyon')]))

  const manifest = readFileSync(join(ROOT, 'examples', 'game', 'app.yaml'), 'utf8')
    .replace('command: node', `command: ${process.execPath}`)
    .replace('workingDir: examples/game', `workingDir: ${join(ROOT, 'examples', 'game')}`)
    // One instance (two slots): a released slot must be the one handed out next.
    .replace('maxPerSite: 4', 'maxPerSite: 1')
  const file = join(tmp.dir, 'game.yaml')
  writeFileSync(file, manifest)
  assert.equal((await cli(['apply', '-f', file], env)).code, 0)
  // warmPerSite 2 with 2 slots per instance: one instance pre-started and ready.
  const warm = await waitUntil('the warm pool', async () => {
    const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
    return body.items.length >= 1 && body.items.every((i: any) => i.status?.ready) ? body.items : undefined
  }, 90_000)
  for (const i of warm) pids.push(i.status.pid)

  const created = await cli(['session', 'create', '--app', 'game', '--client-ip', '198.51.100.7', '--ttl', '120', '-o', 'json'], env)
  assert.equal(created.code, 0, created.stderr)
  const s = JSON.parse(created.stdout)
  assert.equal(s.site, 'lyon')
  assert.equal(s.start, 'warm', 'a warm slot: no process started for it')
  assert.match(s.endpoint.url, /^ws:\/\/127\.0\.61\.1:\d+\/$/)
  assert.ok(s.token)

  const { ws, first } = await connect(`${s.endpoint.url}?token=${s.token}`)
  assert.equal(first.welcome, s.id)
  assert.equal(first.site, 'lyon')
  const echo = await new Promise<string>((r) => { ws.once('message', (d) => r(d.toString())); ws.send('hello') })
  assert.equal(echo, 'echo: hello')
  ws.close()
  // The MAC's first character changed (its last one carries 2 unused bits: some replacements decode
  // to the same MAC, and the forgery would pass 1 time in 16).
  const [payload, mac] = s.token.split('.')
  const forged = `${payload}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`
  await assert.rejects(connect(`${s.endpoint.url}?token=${forged}`), /HTTP 401/, 'a forged token is refused by the instance itself')
  await assert.rejects(connect(s.endpoint.url), /HTTP 401/)

  const listed = await cli(['session', 'list'], env)
  assert.match(listed.stdout, new RegExp(`${s.id}\\s+game\\s+lyon`))
  const released = await cli(['session', 'release', s.id], env)
  assert.match(released.stdout, /released/)
  const got = await cli(['session', 'get', s.id, '-o', 'json'], env)
  assert.equal(JSON.parse(got.stdout).phase, 'Released')

  const next = JSON.parse((await cli(['session', 'create', '--app', 'game', '--client-ip', '198.51.100.8', '-o', 'json'], env)).stdout)
  assert.equal(next.instance, s.instance, 'the one warm instance, its released slot handed out again')
  assert.equal(next.start, 'warm')
  const again = await connect(`${next.endpoint.url}?token=${next.token}`)
  assert.equal(again.first.welcome, next.id)
  again.ws.close()
  const { body } = await api(server.url, server.token, 'GET', '/apis/edgeplane.io/v1/namespaces/default/instances')
  for (const i of body.items) if (i.status?.pid) pids.push(i.status.pid)
})
