#!/usr/bin/env node
// Builds the agent bundle, dist/edgeplane-agent.mjs: one file with the agent's entry (src/cli/agent-run.ts)
// and every module it can load (its dependencies bundled in; the gateway and metrics stay lazy
// inside it), which `edgeplane agent` and the systemd unit run. Part of `npm run build`, so `npm ci`
// produces it.
//
// The link's server messages are checked on the agent against link.ts's schemas without typebox:
// this build writes those schemas out as JSON in place of src/api/link-server-schemas.ts (whose
// source form reads them from link.ts), so the bundle carries no schema library.
//
//   node scripts/build-agent.mjs [--out FILE] [--metafile FILE]
//   node --import tsx scripts/build-agent.mjs --from-src …   (schemas read from src/, not dist/: the tests)
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { writeFileSync } from 'node:fs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const opt = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def }
const out = opt('out', join(root, 'dist', 'edgeplane-agent.mjs'))
const metafile = opt('metafile', '')

// The schemas as the server compiles them (from the compiled link.ts: `tsc` runs first).
const { ServerMessageSchema } = await import(argv.includes('--from-src') ? join(root, 'src', 'api', 'link.ts') : join(root, 'dist', 'api', 'link.js'))
const schemas = JSON.stringify(ServerMessageSchema.anyOf)

const linkSchemasAsJson = {
  name: 'link-schemas-as-json',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]api[\\/]link-server-schemas\.ts$/ }, () => ({
      contents: `// Written by scripts/build-agent.mjs from link.ts's ServerMessageSchema.\nexport const SERVER_MESSAGE_SCHEMAS = ${schemas}\n`,
      loader: 'js',
    }))
  },
}

const result = await build({
  entryPoints: [join(root, 'src', 'cli', 'agent-run.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // The bundle sits in dist/, so the version's '../package.json' is the package's (src/version.ts).
  banner: { js: "import { createRequire as __epCreateRequire } from 'node:module'; const require = __epCreateRequire(import.meta.url);" },
  // ws's optional native helpers are not installed: ws falls back to JavaScript without them.
  external: ['bufferutil', 'utf-8-validate'],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  sourcemap: false,
  metafile: !!metafile,
  logLevel: 'warning',
  plugins: [linkSchemasAsJson],
})
if (metafile) writeFileSync(metafile, JSON.stringify(result.metafile))
console.error(`built ${out}`)
