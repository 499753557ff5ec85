// Field ownership for server-side apply, as pure functions: the field set of a config, FieldsV1
// round trip, conflicts, force, removal of fields a manager stops applying.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AppSchema } from '../../src/api/kinds/index.js'
import { applyConfig, displayPath, fieldSet, fromFieldsV1, recordUpdate, toFieldsV1 } from '../../src/api/managed-fields.js'

const schema = JSON.parse(JSON.stringify(AppSchema))
const opts = { force: false, now: '2026-01-01T00:00:00Z', apiVersion: 'edgeplane.io/v1' }
const cfg = (replicas: number, labels: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'edgeplane.io/v1', kind: 'App', metadata: { name: 'web', labels },
  spec: { replicas, template: { command: 'node', ports: [{ name: 'http' }] } },
})

test('field sets: leaves, keyed list items by key, FieldsV1 round trip', () => {
  const set = fieldSet(cfg(1), schema)
  const shown = [...set].map(displayPath).sort()
  assert.deepEqual(shown, ['.metadata.labels.a', '.spec.replicas', '.spec.template.command', '.spec.template.ports[name="http"]', '.spec.template.ports[name="http"].name'])
  assert.deepEqual(fromFieldsV1(toFieldsV1(set)), set)
})

test('a conflict names the field and its owner; force takes it; dropped fields go', () => {
  const created = applyConfig(undefined, cfg(1), 'alice', schema, opts).obj
  const updated: any = { ...created, spec: { ...created.spec, replicas: 5 } }
  updated.metadata = { ...updated.metadata, managedFields: recordUpdate(created, updated, 'scaler', schema, opts) }
  const clash = applyConfig(updated, cfg(2), 'alice', schema, opts)
  assert.deepEqual(clash.conflicts, [{ manager: 'scaler', field: '.spec.replicas' }])
  assert.equal(applyConfig(updated, cfg(5), 'alice', schema, opts).conflicts.length, 0, 'the same value is no conflict')
  const forced = applyConfig(updated, cfg(2, {}), 'alice', schema, { ...opts, force: true })
  assert.equal(forced.conflicts.length, 0)
  assert.equal(forced.obj.spec.replicas, 2)
  assert.equal(forced.obj.metadata.labels?.a, undefined, 'a label alice no longer applies is removed')
  assert.ok(!forced.obj.metadata.managedFields.some((m: any) => m.manager === 'scaler'), 'the scaler owns nothing any more')
})
