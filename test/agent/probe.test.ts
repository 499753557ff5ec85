import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runProbe } from '../../src/agent/probes/probe.js'
import { probe } from './helpers.js'

const HOST = '127.0.0.1'

async function server(t: { after(fn: () => void): void }): Promise<number> {
  const srv: Server = createServer((req, res) => {
    if (req.url === '/ok') return void res.end('ok')
    if (req.url === '/moved') return void res.writeHead(302, { location: '/ok' }).end()
    if (req.url === '/fail') return void res.writeHead(500).end('broken')
    // /slow: never answers
  })
  await new Promise<void>((r) => srv.listen(0, HOST, r))
  t.after(() => { srv.closeAllConnections(); srv.close() })
  return (srv.address() as AddressInfo).port
}

async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, HOST, r))
  const port = (srv.address() as AddressInfo).port
  await new Promise((r) => srv.close(r))
  return port
}

test('http probe: 2xx and 3xx succeed, 500 fails, a silent server times out', async (t) => {
  const port = await server(t)
  const ports = { web: port }
  const ok = await runProbe(probe({ http: { path: '/ok', port: 'web' } }), HOST, ports)
  assert.deepEqual(ok, { ok: true, message: 'GET /ok: HTTP 200' })
  assert.equal((await runProbe(probe({ http: { path: '/moved', port: 'web' } }), HOST, ports)).ok, true)
  const fail = await runProbe(probe({ http: { path: '/fail', port: 'web' } }), HOST, ports)
  assert.deepEqual(fail, { ok: false, message: 'GET /fail: HTTP 500' })
  const slow = await runProbe(probe({ http: { path: '/slow', port: 'web' } }, { timeoutSeconds: 0.2 }), HOST, ports)
  assert.deepEqual(slow, { ok: false, message: 'GET /slow: no response within 200 ms' })
})

test('http probe against a closed port fails with the reason', async () => {
  const r = await runProbe(probe({ http: { path: '/', port: 'web' } }), HOST, { web: await closedPort() })
  assert.equal(r.ok, false)
  assert.match(r.message, /ECONNREFUSED/)
})

test('tcp probe: an open port succeeds, a closed one fails', async (t) => {
  const open = await server(t)
  assert.equal((await runProbe(probe({ tcp: { port: 'p' } }), HOST, { p: open })).ok, true)
  const closed = await runProbe(probe({ tcp: { port: 'p' } }), HOST, { p: await closedPort() })
  assert.equal(closed.ok, false)
  assert.match(closed.message, /ECONNREFUSED/)
})

test('a probe that cannot run fails instead of throwing', async () => {
  const noPort = await runProbe(probe({ tcp: { port: 'admin' } }), HOST, {})
  assert.deepEqual(noPort, { ok: false, message: 'port "admin" has no host port' })
  assert.deepEqual(await runProbe(probe({}), HOST, {}), { ok: false, message: 'probe sets neither http nor tcp' })
  const badHost = await runProbe(probe({ tcp: { port: 'p' } }), 'not a host name', { p: 1 })
  assert.equal(badHost.ok, false)
})
