#!/usr/bin/env node
// Runs every test file through node:test with tsx. Node 20's runner needs the files listed
// explicitly; `npm test -- test/store` narrows to paths that start with the given prefixes.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const prefixes = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'))

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : []
  })
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => !prefixes.length || prefixes.some((p) => f.startsWith(p)))
  .sort()
if (!files.length) {
  console.error('no test files matched')
  process.exit(1)
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, EDGEPLANE_LOG_LEVEL: process.env.EDGEPLANE_LOG_LEVEL ?? 'silent' },
})
process.exit(res.status ?? 1)
