// The agent's small schema checker against typebox's compiled validators, on link.ts's real server
// messages: valid messages, and thousands of seeded mutations of them (fields dropped, added, or
// given values of other types and limits). Both must accept and refuse the same messages.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Compile } from 'typebox/compile'
import { jsonChecker, type JsonSchema } from '../../src/api/json-check.js'
import { decodeServerMessage } from '../../src/api/link.js'
import { leanDecodeServerMessage } from '../../src/api/link-lean-decode.js'
import { SERVER_MESSAGE_SCHEMAS } from '../../src/api/link-server-schemas.js'

const template = {
  runtime: 'process', command: 'node', args: ['server.js'], env: { MODE: 'edge', 'é': 'ü' }, workingDir: '/srv',
  ports: [{ name: 'http', protocol: 'tcp' }, { name: 'metrics', protocol: 'udp' }],
  resources: { cpu: '250m', memory: 128 },
  readiness: { http: { path: '/healthz', port: 'http' }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
  liveness: { tcp: { port: 'http' }, initialDelaySeconds: 1, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 },
  stopGracePeriodSeconds: 10,
}
const valid: Record<string, unknown>[] = [
  { t: 'welcome', serverTime: new Date(0).toISOString(), heartbeatSeconds: 4 },
  { t: 'desired', version: 7, full: true, upsert: [{ uid: 'u1', namespace: 'default', name: 'web-1', app: 'web', revision: 'r1', template, sessionKey: 'k', slots: 2 }], remove: [] },
  { t: 'desired', version: 8, full: false, base: 7, upsert: [], remove: ['u1'] },
  { t: 'log-open', req: 1, uid: 'u1', follow: true, tailLines: 10 },
  { t: 'log-close', req: 1 },
  { t: 'routes', version: 3, routes: [{ host: 'web.edge.test', endpoints: [{ id: 'u1', address: '127.0.0.1:30000', ready: true }], fallbacks: [{ site: 'paris', gateway: '127.0.1.1:8080' }] }] },
]

function rng(seed: number): () => number {
  return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000 }
}
const odd = [undefined, null, -1, 0, 1.5, 2 ** 40, '', 'x', '🙂', 'a'.repeat(300), 'UPPER', '/p', true, [], [1], {}, { x: 1 }, NaN]

/** Every path into a value (objects and arrays), with a setter. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at]
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]))
  return out
}
function mutate(msg: unknown, r: () => number): unknown {
  const copy = structuredClone(msg) as Record<string, unknown>
  const all = paths(copy).filter((p) => p.length > 0)
  const p = all[Math.floor(r() * all.length)]
  let parent: any = copy
  for (const k of p.slice(0, -1)) parent = parent[k]
  const key = p[p.length - 1]
  const choice = r()
  if (choice < 0.2 && !Array.isArray(parent)) delete parent[key]
  else if (choice < 0.3 && !Array.isArray(parent)) parent[`extra${Math.floor(r() * 3)}`] = 1
  else parent[key] = structuredClone(odd[Math.floor(r() * odd.length)])
  return JSON.parse(JSON.stringify(copy))
}

test('the small checker accepts and refuses exactly what typebox does, on the link\'s server messages', () => {
  const byType = new Map(SERVER_MESSAGE_SCHEMAS.map((s) => [(s.properties as any).t.const as string, { lite: jsonChecker(s), tb: Compile(s as any) }]))
  let refused = 0
  for (const msg of valid) {
    const c = byType.get(msg.t as string)!
    assert.equal(c.lite.Check(msg), true, `valid ${msg.t}: ${JSON.stringify(c.lite.Causes(msg))}`)
    assert.equal(c.tb.Check(msg), true, `typebox takes the valid ${msg.t} too`)
    const r = rng(msg.t!.toString().length * 7919 + 1)
    for (let i = 0; i < 1500; i++) {
      const m = mutate(msg, r) as Record<string, unknown>
      const cc = byType.get(m.t as string)
      if (!cc) continue
      const want = cc.tb.Check(m)
      assert.equal(cc.lite.Check(m), want, `mutated ${msg.t}: ${JSON.stringify(m).slice(0, 400)}`)
      if (!want) { refused++; assert.ok(cc.lite.Causes(m).length > 0, 'a refusal names at least one cause') }
    }
  }
  assert.ok(refused > 3000, `the mutations must exercise refusals (${refused})`)
})

test('decoding a frame: the agent\'s decoder and link.ts\'s agree, and name the field', () => {
  for (const msg of valid) assert.deepEqual(leanDecodeServerMessage(JSON.stringify(msg)), decodeServerMessage(JSON.stringify(msg)))
  const bad = { ...valid[1], upsert: [{ ...(valid[1] as any).upsert[0], template: { ...template, ports: [{ name: 'Bad_Name', protocol: 'tcp' }] } }] }
  const lean = leanDecodeServerMessage(JSON.stringify(bad))
  assert.equal(typeof lean, 'string')
  assert.match(lean as string, /^invalid "desired" message: upsert\[0\]\.template\.ports\[0\]\.name: must match/)
  assert.equal(typeof decodeServerMessage(JSON.stringify(bad)), 'string')
  assert.match(leanDecodeServerMessage('{"t":"welcome","serverTime":"x","heartbeatSeconds":1,"spy":1}') as string, /spy: unknown field/)
  assert.match(leanDecodeServerMessage('{"t":"nope"}') as string, /unknown message type "nope"/)
  assert.equal(leanDecodeServerMessage('not json'), 'frame is not JSON')
})

test('a schema keyword the checker does not implement is refused when the checker is made', () => {
  assert.throws(() => jsonChecker({ type: 'array', uniqueItems: true } as JsonSchema), /keyword "uniqueItems" at \/ is not supported/)
  assert.throws(() => jsonChecker({ type: 'object', properties: { a: { type: 'string', format: 'email' } } } as JsonSchema), /"format" at \.a/)
  assert.throws(() => jsonChecker({ type: 'object', additionalProperties: { type: 'string' } } as JsonSchema), /only additionalProperties: false/)
})
