// No JavaScript error text reaches a CLI user: every command, given missing, wrong or extra
// arguments, says what is wrong in words and exits non-zero; an unexpected error is one line that
// says what failed and what to try (the stack only with --verbose).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { Command } from 'commander'
import { ApiError } from '../../src/api/errors.js'
import { formatError } from '../../src/cli/errors.js'
import { buildProgram } from '../../src/cli/main.js'
import { populate, runCli, startLiveServer } from './live-server.js'

/** What must never be shown: JavaScript's own words, or a stack frame. */
const JS_TEXT = /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read propert|is not a function|is not defined|undefined|\bat .+:\d+:\d+/

function leaves(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help')
  if (!subs.length) return [{ path, cmd }]
  return subs.flatMap((c) => leaves(c, [...path, c.name()]))
}

function assertClear(r: { code: number; stdout: string; stderr: string }, what: string, want?: RegExp): void {
  assert.notEqual(r.code, 0, `${what}: a non-zero exit (stdout: ${r.stdout.slice(0, 200)})`)
  const first = r.stderr.split('\n')[0]
  assert.match(first, /^error: \S/, `${what}: one "error: …" line first, got ${JSON.stringify(r.stderr)}`)
  assert.doesNotMatch(r.stderr, JS_TEXT, `${what}: no JavaScript error text`)
  if (want) assert.match(r.stderr, want, what)
}

test('unexpected errors: one line naming the command and what to try; the stack only with --verbose', () => {
  let bug: unknown
  try { (undefined as unknown as { headers: string[] }).headers.push('x') } catch (e) { bug = e }
  const line = formatError(bug, { command: 'edgeplane get' })
  assert.equal(line.split('\n').length, 1)
  assert.match(line, /^error: edgeplane get failed unexpectedly .*--verbose/)
  assert.doesNotMatch(line, JS_TEXT)
  const verbose = formatError(bug, { command: 'edgeplane get', verbose: true })
  assert.match(verbose, /TypeError: Cannot read properties of undefined/)
  assert.match(verbose, /errors\.test\.ts:\d+/, 'the stack, with --verbose')
  const missing = Object.assign(new Error("ENOENT: no such file or directory, open 'app.yaml'"), { code: 'ENOENT', syscall: 'open', path: 'app.yaml' })
  assert.equal(formatError(missing, { command: 'edgeplane apply' }), 'error: edgeplane apply: cannot open app.yaml: no such file or directory [ENOENT]')
  assert.match(formatError(new ApiError('Unavailable', 'cannot reach the server at https://127.0.0.1:1: ECONNREFUSED')), /is the server running\? check --server/)
  assert.match(formatError(new ApiError('Unavailable', 'cannot reach the server at https://h: UNABLE_TO_VERIFY_LEAF_SIGNATURE')), /--ca-file/)
  assert.equal(formatError(new Error('--tail takes a whole number of lines')), 'error: --tail takes a whole number of lines')
})

test('every command with missing, wrong and extra arguments: a clear message and a non-zero exit', async (t) => {
  const live = await startLiveServer(t)
  await populate(live.srv)
  process.env.EDGEPLANE_CONFIG = join(live.dir, 'no-config.json')
  const g = ['--server', live.url, '--token', live.token]
  const all = leaves(buildProgram())
  assert.ok(all.length >= 20, `the commands (${all.map((l) => l.path.join(' '))})`)
  for (const { path, cmd } of all) {
    const name = path.join(' ')
    // With its required options given, so that the flag (or the excess) is what is wrong.
    const required = cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'x'])
    assertClear(await runCli([...g, ...path, ...required, '--no-such-flag']), `${name} --no-such-flag`, /unknown option '--no-such-flag'/)
    const extra = [...cmd.registeredArguments.map(() => 'x'), 'extra1', 'extra2']
    assertClear(await runCli([...g, ...path, ...required, ...extra]), `${name} with extra arguments`, /too many arguments/)
    const needs = cmd.registeredArguments.some((a) => a.required) || cmd.options.some((o) => o.mandatory)
    if (needs) assertClear(await runCli([...g, ...path]), `${name} with nothing`, /missing required argument|required option/)
  }
  // Wrong values, and what is missing without being a declared argument.
  const wrong: [string[], RegExp][] = [
    [['get', 'gadgets'], /unknown resource type "gadgets"/],
    [['get', 'apps', '-o', 'bogus'], /-o bogus: use/],
    [['get', 'apps', 'nosuch'], /app "nosuch" not found/],
    [['describe', 'nodes', 'nosuch'], /node "nosuch" not found/],
    [['delete', 'apps', 'nosuch'], /not found/],
    [['delete'], /delete needs KIND NAME, or -f FILE/],
    [['apply', '-f', '/nonexistent/app.yaml'], /cannot open \/nonexistent\/app\.yaml: no such file or directory/],
    [['logs', 'nosuch'], /not found/],
    [['logs', 'hello-x1', '--tail', '-3'], /--tail takes a whole number/],
    [['rollout', 'status', 'nosuch'], /not found/],
    [['rollout', 'undo', 'hello', '--to-revision', 'abc'], /revision/],
    [['rollout', 'history', 'nosuch'], /not found/],
    [['session', 'get', 'nosuch'], /not found/],
    [['session', 'create'], /--app/],
    [['session', 'create', '--app', 'hello', '--location', 'north'], /location|LAT,LON/],
    [['token', 'create', '--ttl', 'forever'], /"forever" is not a duration/],
    [['token', 'revoke', 'nosuch'], /not found|no token/],
    [['route', 'nosuch.edge.test', '--client-ip', 'not-an-ip'], /client|IP|address/i],
    [['server', '--heartbeat-seconds', '-1'], /must be a positive number/],
  ]
  // Without the global --server and --token (these check for them themselves).
  const bare: [string[], RegExp][] = [
    [['agent', '--site', 'x', '--data-dir', join(live.dir, 'agent')], /needs --server/],
    [['sim', '--sites', '1', '--data-dir', join(live.dir, 'sim')], /needs --server/],
    [['login'], /--server|--token/],
    [['login', '--server', live.url], /--token/],
  ]
  const seen: string[] = []
  for (const [args, want] of [...wrong.map(([a, w]) => [[...g, ...a], w] as const), ...bare]) {
    const r = await runCli([...args])
    try { assertClear(r, args.join(' '), want) } catch (e) { seen.push(`${args.join(' ')} → ${r.code} ${JSON.stringify(r.stderr)}${JSON.stringify(r.stdout.slice(0, 100))}`) }
  }
  assert.deepEqual(seen, [])
  // A server that is not there: the reason, and where the address came from.
  delete process.env.EDGEPLANE_SERVER
  assertClear(await runCli(['--server', 'http://127.0.0.1:1', '--token', 'x', 'get', 'apps']), 'an unreachable server', /cannot reach the server at http:\/\/127\.0\.0\.1:1.*is the server running\?/)
  assertClear(await runCli(['--server', live.url, '--token', 'wrong', 'get', 'apps']), 'a wrong token', /--token/)
  delete process.env.EDGEPLANE_CONFIG
})
