// README's quick-start sample is what the demo prints with its defaults: the lines come from the
// same functions (src/demo/hints.ts); the live run (demo-hints.test.ts) checks the rest of the output.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEMO_SITES, GATEWAY_PORT } from '../../src/demo/demo.js'
import { readyLines, startLines } from '../../src/demo/hints.js'
import { readmeSample, ROOT } from './demo-helpers.js'

/** What the demo prints with its defaults, given the instance endpoints its agents allocate. */
export function defaultOutput(): string[] {
  return [
    ...startLines('.edgeplane-demo', DEMO_SITES.map((s, i) => ({ ...s, address: `127.0.${i + 1}.1` }))),
    'all 5 sites joined', 'app/hello created', 'app/game created',
    // With podman and docker-registry (as CI has): the container app.
    'built examples/container-hello and pushed 127.0.0.1:5000/demo/hello:1.0', 'app/hello-container created (runtime: container)',
    ...readyLines({
      ready: 5, replicas: 5, sites: 5, url: 'https://127.0.0.1:7420', configPath: '~/.edgeplane/config.json', dataDir: '.edgeplane-demo',
      endpoints: { paris: '127.0.1.1:30000', tokyo: '127.0.4.1:30000' }, dnsHost: '127.0.0.1', dnsPort: 5353, gatewayPort: GATEWAY_PORT,
      containerApp: true,
    }),
  ]
}

test('README\'s quick-start sample equals the demo\'s output with its defaults', () => {
  assert.deepEqual(readmeSample(), defaultOutput())
})

test('README lists the tools the suggested commands need', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const prereq = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('```sh'))
  for (const tool of ['Node.js 20', 'npm', 'curl', '`dig`']) assert.ok(prereq.includes(tool), `prerequisites name ${tool}`)
})
