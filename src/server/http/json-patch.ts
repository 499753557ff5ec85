// JSON Patch (RFC 6902): add, remove, replace, move, copy, test on a copy of the document. Every
// failure is a BadRequest naming the operation and its path, and nothing is half-applied (the
// caller's document is never touched).
import { ApiError } from '../../api/errors.js'
import { deepEqual } from '../../lib/equal.js'

type Json = unknown
interface Op { op: string; path: string; from?: string; value?: Json }

export function applyJsonPatch(doc: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) throw bad(-1, 'a JSON patch is an array of operations ([{"op": "replace", "path": "/spec/replicas", "value": 2}])')
  let root = structuredClone(doc)
  patch.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(i, 'an operation must be an object')
    const op = raw as Op
    if (typeof op.path !== 'string') throw bad(i, '"path" is missing')
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test'
    if (needsValue && !('value' in op)) throw bad(i, `"${op.op}" needs a "value"`)
    switch (op.op) {
      case 'add': root = put(root, parse(op.path, i), structuredClone(op.value), 'add', i); break
      case 'replace': get(root, parse(op.path, i), i); root = put(root, parse(op.path, i), structuredClone(op.value), 'replace', i); break
      case 'remove': root = remove(root, parse(op.path, i), i); break
      case 'move': case 'copy': {
        if (typeof op.from !== 'string') throw bad(i, `"${op.op}" needs "from"`)
        const from = parse(op.from, i)
        const to = parse(op.path, i)
        if (op.op === 'move' && to.length > from.length && from.every((t, k) => to[k] === t)) throw bad(i, `cannot move "${op.from}" into itself`)
        const value = structuredClone(get(root, from, i))
        if (op.op === 'move') root = remove(root, from, i)
        root = put(root, to, value, 'add', i)
        break
      }
      case 'test':
        if (!deepEqual(get(root, parse(op.path, i), i), op.value)) throw bad(i, `test failed: "${op.path}" is not ${JSON.stringify(op.value)}`)
        break
      default: throw bad(i, `unknown op "${String(op.op)}" (add, remove, replace, move, copy, test)`)
    }
  })
  return root
}

function bad(i: number, message: string): ApiError {
  const at = i >= 0 ? `JSON patch operation ${i}: ` : ''
  return new ApiError('BadRequest', `${at}${message}`, { causes: [{ field: i >= 0 ? `[${i}]` : '', reason: 'FieldValueInvalid', message }] })
}

function parse(pointer: string, i: number): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw bad(i, `path "${pointer}" must start with "/"`)
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}

function index(arr: unknown[], token: string, i: number, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length
  if (!/^(0|[1-9]\d*)$/.test(token)) throw bad(i, `"${token}" is not an array index`)
  const n = Number(token)
  if (n > arr.length || (!forAdd && n === arr.length)) throw bad(i, `index ${n} is out of range (length ${arr.length})`)
  return n
}

function get(root: unknown, tokens: string[], i: number): unknown {
  let cur = root
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[index(cur, t, i, false)]
    else if (isObj(cur) && Object.hasOwn(cur, t)) cur = cur[t]
    else throw bad(i, `path "/${tokens.join('/')}" does not exist`)
  }
  return cur
}

function put(root: unknown, tokens: string[], value: unknown, mode: 'add' | 'replace', i: number): unknown {
  if (!tokens.length) return value
  const parent = get(root, tokens.slice(0, -1), i)
  const last = tokens[tokens.length - 1]
  if (Array.isArray(parent)) {
    const n = index(parent, last, i, mode === 'add')
    if (mode === 'add') parent.splice(n, 0, value)
    else parent[n] = value
  } else if (isObj(parent)) {
    parent[last] = value
  } else {
    throw bad(i, `the parent of "/${tokens.join('/')}" is not an object or array`)
  }
  return root
}

function remove(root: unknown, tokens: string[], i: number): unknown {
  if (!tokens.length) throw bad(i, 'cannot remove the whole document')
  const parent = get(root, tokens.slice(0, -1), i)
  const last = tokens[tokens.length - 1]
  if (Array.isArray(parent)) parent.splice(index(parent, last, i, false), 1)
  else if (isObj(parent) && Object.hasOwn(parent, last)) delete parent[last]
  else throw bad(i, `path "/${tokens.join('/')}" does not exist`)
  return root
}
