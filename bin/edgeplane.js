#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the "prepare" script). `edgeplane agent` runs the
// agent's own bundle instead (one file with only what a node needs; README "Agent footprint"), or
// its lean entry when no bundle was built.
import { existsSync } from 'node:fs'

// The global options that take a value may come before the command: `edgeplane --server URL agent …`.
const VALUED = new Set(['--server', '--token', '--ca-file', '-n', '--namespace'])
function command(args) {
  for (let i = 0; i < args.length; i++) {
    if (VALUED.has(args[i])) { i++; continue }
    if (!args[i].startsWith('-')) return args[i]
  }
  return undefined
}

if (command(process.argv.slice(2)) === 'agent') {
  const bundle = new URL('../dist/edgeplane-agent.mjs', import.meta.url)
  await import(existsSync(bundle) ? bundle.href : '../dist/cli/agent-run.js')
} else {
  await import('../dist/cli/run.js')
}
