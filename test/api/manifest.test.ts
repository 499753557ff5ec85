// parseManifests: YAML (several documents), JSON objects and arrays, List kinds, and clear
// BadRequest errors that name the source.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError } from '../../src/api/errors.js'
import { MAX_DEPTH, parseManifests } from '../../src/api/manifest.js'

function badRequest(text: string, source: string, pattern: RegExp): void {
  assert.throws(() => parseManifests(text, source), (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err))
    assert.equal(err.code, 'BadRequest')
    assert.ok(err.message.startsWith(`${source}: `), err.message)
    assert.match(err.message, pattern)
    return true
  })
}

test('multi-document YAML gives one value per document, skipping empty ones', () => {
  const docs = parseManifests('kind: Site\nmetadata: {name: a}\n---\n---\nkind: App\nmetadata:\n  name: b\n...\n', 'apps.yaml')
  assert.deepEqual(docs, [{ kind: 'Site', metadata: { name: 'a' } }, { kind: 'App', metadata: { name: 'b' } }])
})

test('a JSON object, a JSON array and a List kind', () => {
  assert.deepEqual(parseManifests('  {"kind":"App","spec":{"replicas":2}}\n'), [{ kind: 'App', spec: { replicas: 2 } }])
  assert.deepEqual(parseManifests('[{"kind":"App"},{"kind":"Site"}]'), [{ kind: 'App' }, { kind: 'Site' }])
  assert.deepEqual(parseManifests('{"kind":"List","items":[{"kind":"App"},{"kind":"Node"}]}'), [{ kind: 'App' }, { kind: 'Node' }])
  assert.deepEqual(parseManifests('kind: AppList\nitems:\n- kind: App\n'), [{ kind: 'App' }])
  // A kind ending in List without items is an ordinary document.
  assert.deepEqual(parseManifests('{"kind":"WishList"}'), [{ kind: 'WishList' }])
})

test('empty input gives no documents', () => {
  assert.deepEqual(parseManifests(''), [])
  assert.deepEqual(parseManifests('  \n\t'), [])
  assert.deepEqual(parseManifests('---\n---\n'), [])
})

test('invalid JSON or YAML is BadRequest naming the source', () => {
  badRequest('{"kind": "App",', 'app.json', /not valid JSON/)
  badRequest('[1, 2', 'list.json', /not valid JSON/)
  badRequest('kind: App\n  metadata: x\n bad: [', 'app.yaml', /not valid YAML/)
  badRequest('a: 1\na: 2\n', 'dup.yaml', /not valid YAML/)
})

test('YAML aliases: an unknown anchor and an alias bomb are BadRequest, not a crash', () => {
  badRequest('a: *nope\n', 'alias.yaml', /not valid YAML/)
  const bomb = 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
  badRequest(bomb, 'bomb.yaml', /not valid YAML/)
  // A few aliases are fine.
  assert.deepEqual(parseManifests('base: &b {x: 1}\nuse: *b\n'), [{ base: { x: 1 }, use: { x: 1 } }])
})

test('documents nested deeper than the limit are BadRequest', () => {
  const nest = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)
  assert.equal(parseManifests(nest(MAX_DEPTH - 1)).length, 1)
  badRequest(nest(MAX_DEPTH + 1), 'deep.json', /nested deeper than/)
  badRequest(nest(100_000), 'deeper.json', /nested deeper than/)
  badRequest('a: ' + '['.repeat(MAX_DEPTH + 5) + ']'.repeat(MAX_DEPTH + 5) + '\n', 'deep.yaml', /nested deeper than/)
})

test('a very long JSON array is read without overflowing the stack', () => {
  const docs = parseManifests('[' + '{},'.repeat(200_000) + '{}]')
  assert.equal(docs.length, 200_001)
})
