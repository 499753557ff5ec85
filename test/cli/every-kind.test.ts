// Every kind in API discovery: `get`, `get -o wide|json|yaml` and `describe` work against a live
// server holding one object of each, and print the kind's columns (the same the Table answer has).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parse } from 'yaml'
import { columnsFor } from '../../src/api/table/columns.js'
import { populate, runCli, startLiveServer } from './live-server.js'

test('get, get -o wide|json|yaml and describe for every kind the API serves', async (t) => {
  const live = await startLiveServer(t)
  const objs = await populate(live.srv)
  const res = await fetch(`${live.url}/apis/edgeplane.io/v1`, { headers: { authorization: `Bearer ${live.token}` } })
  const discovery = (await res.json()) as { resources: { name: string; kind: string; shortNames?: string[] }[] }
  const kinds = discovery.resources.filter((r) => !r.name.includes('/'))
  assert.ok(kinds.length >= 7, `discovery lists the kinds (${kinds.map((k) => k.name)})`)
  const g = ['--server', live.url, '--token', live.token]
  for (const r of kinds) {
    const obj = objs[r.kind]
    assert.ok(obj, `the fixture holds a ${r.kind}`)
    for (const name of [r.name, ...(r.shortNames ?? [])]) {
      const plain = await runCli([...g, 'get', name])
      assert.equal(plain.code, 0, `get ${name}: ${plain.stderr}`)
      assert.equal(plain.stderr, '')
      const header = plain.stdout.split('\n')[0]
      const want = columnsFor(r.kind).filter((c) => c.priority === 0).map((c) => c.name.toUpperCase())
      assert.deepEqual(header.split(/\s{2,}/), want, `get ${name}: the kind's columns`)
      assert.ok(!plain.stdout.includes('<error>'), `get ${name}: every cell reads its object`)
      if (r.kind !== 'Event') assert.match(plain.stdout, new RegExp(`^${obj.metadata.name.replace('.', '\\.')}\\s`, 'm'))
    }
    const wide = await runCli([...g, 'get', r.name, '-o', 'wide'])
    assert.equal(wide.code, 0, `get ${r.name} -o wide: ${wide.stderr}`)
    assert.deepEqual(wide.stdout.split('\n')[0].split(/\s{2,}/), columnsFor(r.kind).map((c) => c.name.toUpperCase()), `get ${r.name} -o wide`)
    const json = await runCli([...g, 'get', r.name, '-o', 'json'])
    assert.equal(json.code, 0, json.stderr)
    assert.ok((JSON.parse(json.stdout) as { items: { metadata: { name: string } }[] }).items.some((i) => i.metadata.name === obj.metadata.name))
    const yaml = await runCli([...g, 'get', r.name, '-o', 'yaml'])
    assert.equal(yaml.code, 0, yaml.stderr)
    assert.ok((parse(yaml.stdout) as { items: { metadata: { name: string } }[] }).items.some((i) => i.metadata.name === obj.metadata.name))
    const one = await runCli([...g, 'get', r.name, obj.metadata.name, '-o', 'wide'])
    assert.equal(one.code, 0, one.stderr)
    assert.equal(one.stdout.trim().split('\n').length, 2, `get ${r.name} NAME: a header and one row`)
    const desc = await runCli([...g, 'describe', r.name, obj.metadata.name])
    assert.equal(desc.code, 0, `describe ${r.name}: ${desc.stderr}`)
    assert.match(desc.stdout, new RegExp(`^Name:\\s+${obj.metadata.name.replace('.', '\\.')}$`, 'm'))
    assert.match(desc.stdout, new RegExp(`^Kind:\\s+${r.kind}$`, 'm'))
  }
})

test('a kind without its own columns gets NAME and AGE', () => {
  assert.deepEqual(columnsFor('Gadget').map((c) => c.name), ['Name', 'Age'])
})
