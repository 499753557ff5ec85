// The real kubectl wait on a condition that already holds returns at once (it hung past its
// timeout while the watch held back its headers), and kubectl get --watch streams.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { APPS, appManifest, settle } from './helpers.js'
import { kubectlSkip, startKubectl } from './kubectl-helpers.js'

test('kubectl wait --for=condition=Available returns when the condition holds', { skip: kubectlSkip, timeout: 120_000 }, async (t) => {
  const k = await startKubectl(t)
  assert.equal((await k.ts.req({ method: 'POST', url: APPS, payload: appManifest('hello', { replicas: 0 }) })).statusCode, 201)
  await settle(k.ts.srv)
  const started = Date.now()
  const out = await k.ok(['wait', '--for=condition=Available', 'app/hello', '--timeout=30s'])
  assert.match(out, /app\.edgeplane\.io\/hello condition met/)
  t.diagnostic(`kubectl wait took ${Date.now() - started} ms (process start included; not asserted)`)
  const del = await k.run(['wait', '--for=delete', 'app/hello', '--timeout=2s'])
  assert.notEqual(del.code, 0, 'waiting for a delete that does not happen times out')
  assert.match(del.stderr, /timed out/)
})
