// Issue 22, low: a data dir the operator created 0755 stayed so, with edgeplane.db 0644 (it holds
// instance session keys). The server tightens both at start.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../src/lib/log.js'
import { startServer } from '../../src/server/server.js'

test('a pre-created 0755 data dir and its database end up 0700 / 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-dd-'))
  chmodSync(dir, 0o755)
  const srv = await startServer({ dataDir: dir, log: createLogger('test', 'silent'), listen: '127.0.0.1:0', tls: { mode: 'off' } })
  t.after(async () => { await srv.close(); rmSync(dir, { recursive: true, force: true }) })
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  assert.equal(statSync(join(dir, 'edgeplane.db')).mode & 0o777, 0o600)
  assert.equal(statSync(join(dir, 'admin.token')).mode & 0o777, 0o600)
})
