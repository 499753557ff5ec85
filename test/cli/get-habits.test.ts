// kubectl's habits in `edgeplane get`: -o name, -o custom-columns, --show-labels, --no-headers,
// several kinds at once, KIND/NAME; and `version`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readPath } from '../../src/cli/get-output.js'
import { populate, runCli, startLiveServer } from './live-server.js'

test('readPath reads dotted paths with indexes', () => {
  const o = { metadata: { name: 'a', labels: { app: 'web' } }, status: { conditions: [{ type: 'Ready' }] } }
  assert.equal(readPath(o, '.metadata.name'), 'a')
  assert.equal(readPath(o, '{.metadata.labels.app}'), 'web')
  assert.equal(readPath(o, '.status.conditions[0].type'), 'Ready')
  assert.equal(readPath(o, '.spec.none'), undefined)
})

test('get with kubectl\'s output habits against a live server', async (t) => {
  const live = await startLiveServer(t)
  await populate(live.srv)
  const g = ['--server', live.url, '--token', live.token]
  const ok = async (...args: string[]) => {
    const r = await runCli([...g, ...args])
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  assert.equal(await ok('get', 'sites', '-o', 'name'), 'site/paris\n')
  assert.equal(await ok('get', 'app/hello', '-o', 'name'), 'app/hello\n')
  assert.equal(await ok('get', 'sites', '-o', 'custom-columns=NAME:.metadata.name,LAT:.spec.geo.lat,GPU:.metadata.labels.gpu'), 'NAME    LAT     GPU\nparis   48.85   <none>\n')
  const noHeaders = await ok('get', 'sites', '--no-headers')
  assert.match(noHeaders, /^paris\s+eu-west/)
  assert.equal(noHeaders.trim().split('\n').length, 1)
  assert.match((await ok('get', 'sites', '--show-labels')).split('\n')[0], /AGE\s+LABELS$/)
  const both = await ok('get', 'apps,sites')
  assert.match(both, /^NAME\s+DESIRED[\s\S]*\n\nNAME\s+REGION/, 'two tables, a blank line between')
  assert.match(await ok('get', 'apps/hello'), /^hello\s/m)
  assert.match(await ok('describe', 'app/hello'), /^Name:\s+hello$/m)
  assert.match(await ok('version'), /^Client Version: \d+\.\d+\.\d+\nServer Version: \d+\.\d+\.\d+/)
  const bad = await runCli([...g, 'get', 'sites', '-o', 'custom-columns=NAME'])
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /"NAME" is not HEADER:\.path/)
  const twoNames = await runCli([...g, 'get', 'app/hello', 'other'])
  assert.match(twoNames.stderr, /already names the resource/)
})
