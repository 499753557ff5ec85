#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the "prepare" script).
import { main } from '../dist/cli/main.js'
main(process.argv).catch((err) => {
  process.stderr.write(`error: ${err?.message ?? err}\n`)
  process.exit(1)
})
