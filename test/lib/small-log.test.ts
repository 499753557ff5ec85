// The agent's JSON logger: pino's line shape, levels, and the same redaction as log.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSmallLogger } from '../../src/lib/small-log.js'

test('lines are JSON in pino\'s shape, below the level nothing is written', () => {
  const lines: string[] = []
  const log = createSmallLogger('agent', 'info', (l) => lines.push(l))
  log.debug({ a: 1 }, 'hidden')
  log.info({ server: 'https://x' }, 'link up')
  log.warn('plain')
  assert.equal(lines.length, 2)
  const first = JSON.parse(lines[0])
  assert.equal(first.level, 30)
  assert.equal(first.name, 'agent')
  assert.equal(first.msg, 'link up')
  assert.equal(first.server, 'https://x')
  assert.equal(typeof first.time, 'number')
  assert.equal(first.pid, process.pid)
  assert.equal(JSON.parse(lines[1]).msg, 'plain')
  assert.ok(lines.every((l) => l.endsWith('\n')))
})

test('credentials never reach the log', () => {
  const lines: string[] = []
  const log = createSmallLogger('agent', 'debug', (l) => lines.push(l))
  log.info({ token: 't1', joinToken: 'j1', credential: 'c1', node: { credential: 'c2', name: 'n' }, headers: { authorization: 'Bearer a' }, req: { headers: { authorization: 'Bearer b', host: 'h' } } }, 'x')
  const line = lines[0]
  for (const secret of ['t1', 'j1', 'c1', 'c2', 'Bearer a', 'Bearer b']) assert.ok(!line.includes(secret), `${secret} leaked: ${line}`)
  const o = JSON.parse(line)
  assert.equal(o.node.name, 'n')
  assert.equal(o.req.headers.host, 'h')
  assert.equal(o.token, '[redacted]')
})

test('silent writes nothing; a child carries its bindings', () => {
  const lines: string[] = []
  createSmallLogger('agent', 'silent', (l) => lines.push(l)).error('boom')
  assert.equal(lines.length, 0)
  createSmallLogger('agent', 'info', (l) => lines.push(l)).child({ node: 'n1' }).info('hi')
  assert.equal(JSON.parse(lines[0]).node, 'n1')
})
