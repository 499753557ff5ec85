// Nodes and sites are read with what the links know now: LAST SEEN is the last message received on
// the link (not the stored status, refreshed every 30 s), GATEWAY is the gateway a connected node
// of the site serves; in plain JSON and in Table answers alike.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LinkStats } from '../../src/controllers/node-lifecycle.js'
import { populate, startLiveServer } from '../cli/live-server.js'

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io'

test('GET nodes/sites: lastSeen and bytes from the link, the serving gateway in site status', async (t) => {
  const live = await startLiveServer(t)
  await populate(live.srv)
  const stale = '2026-01-01T00:00:00.000Z'
  const current = (await live.srv.store.get('Node', undefined, 'paris-1'))!
  await live.srv.store.update({ ...current, status: { capacity: { cpu: 1000, memory: 1 }, allocatable: { cpu: 1000, memory: 1 }, link: { state: 'Connected', lastSeen: stale, bytesIn: 1, bytesOut: 2 } } }, { subresource: 'status' })
  const seen = Date.now() - 1500
  live.srv.hub.stats.set('paris-1', { node: 'paris-1', site: 'paris', connected: true, lastSeen: seen, bytesIn: 2048, bytesOut: 4096, sentVersion: 1, ackedVersion: 1, gateway: { address: '127.0.1.1:8080', healthy: true } } as LinkStats)
  const auth = { authorization: `Bearer ${live.token}` }
  const get = async (url: string, accept = 'application/json') => (await live.srv.app.inject({ url, headers: { ...auth, accept } })).json()

  const node = await get('/apis/edgeplane.io/v1/nodes/paris-1')
  assert.equal(node.status.link.lastSeen, new Date(seen).toISOString(), 'the last message received on the link')
  assert.equal(node.status.link.bytesIn, 2048)
  const list = await get('/apis/edgeplane.io/v1/nodes')
  assert.equal(list.items[0].status.link.lastSeen, new Date(seen).toISOString())
  const site = await get('/apis/edgeplane.io/v1/sites/paris')
  assert.deepEqual(site.status.gateway, { address: '127.0.1.1:8080', healthy: true })

  const nodes = await get('/apis/edgeplane.io/v1/nodes', TABLE)
  const lastSeen = nodes.columnDefinitions.findIndex((c: { name: string }) => c.name === 'Last Seen')
  assert.match(nodes.rows[0].cells[lastSeen], /^[12]s ago$/, 'kubectl sees it too')
  const sites = await get('/apis/edgeplane.io/v1/sites', TABLE)
  const gw = sites.columnDefinitions.findIndex((c: { name: string }) => c.name === 'Gateway')
  assert.equal(sites.rows[0].cells[gw], '127.0.1.1:8080')

  // A link that went down: the site has no serving gateway.
  live.srv.hub.stats.get('paris-1')!.connected = false
  assert.equal((await get('/apis/edgeplane.io/v1/sites/paris')).status?.gateway, undefined)
})
