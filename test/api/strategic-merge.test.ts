// Strategic merge patch: named lists merge by key (a defaulted field of an item is kept), the
// directives kubectl sends ($setElementOrder, $patch: delete/replace, $deleteFromPrimitiveList).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { strategicMergePatch, mergeKeyOf } from '../../src/api/strategic-merge.js'
import { AppSchema } from '../../src/api/kinds/index.js'

const schema = JSON.parse(JSON.stringify(AppSchema))
const app = () => ({
  spec: { replicas: 1, template: { command: 'node', args: ['a', 'b'], ports: [{ name: 'http', protocol: 'tcp' }, { name: 'admin', protocol: 'tcp' }] } },
})

test('ports merge by name; args (no key) are replaced', () => {
  assert.equal(mergeKeyOf(schema.properties.spec.properties.template.properties.ports), 'name')
  assert.equal(mergeKeyOf(schema.properties.spec.properties.template.properties.args), undefined)
  const out: any = strategicMergePatch(app(), { spec: { template: { args: ['c'], ports: [{ name: 'http', containerPort: 8080 }] } } }, schema)
  assert.deepEqual(out.spec.template.args, ['c'])
  assert.deepEqual(out.spec.template.ports, [{ name: 'http', protocol: 'tcp', containerPort: 8080 }, { name: 'admin', protocol: 'tcp' }])
})

test('directives: $patch delete in a list, $setElementOrder, $patch replace, null deletes', () => {
  const out: any = strategicMergePatch(app(), {
    spec: {
      replicas: null,
      template: { '$setElementOrder/ports': [{ name: 'metrics' }, { name: 'http' }], ports: [{ name: 'admin', $patch: 'delete' }, { name: 'metrics' }] },
    },
  }, schema)
  assert.equal(out.spec.replicas, undefined)
  assert.deepEqual(out.spec.template.ports.map((p: any) => p.name), ['metrics', 'http'])
  const replaced: any = strategicMergePatch(app(), { spec: { template: { $patch: 'replace', command: 'deno' } } }, schema)
  assert.deepEqual(replaced.spec.template, { command: 'deno' })
  const prim: any = strategicMergePatch(app(), { spec: { template: { '$deleteFromPrimitiveList/args': ['a'] } } }, schema)
  assert.deepEqual(prim.spec.template.args, ['b'])
  assert.throws(() => strategicMergePatch(app(), [1], schema), /JSON object/)
})

test('the target is not changed', () => {
  const a = app()
  strategicMergePatch(a, { spec: { template: { ports: [{ name: 'http', containerPort: 1 }] } } }, schema)
  assert.deepEqual(a, app())
})
