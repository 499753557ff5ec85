import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { parseManifests } from '../../api/manifest.js'
import type { Resource } from '../../api/meta.js'
import { clientFrom, formatError, type GlobalFlags } from '../context.js'
import { kindInfo } from '../../api/kinds/index.js'

export function readManifestArg(file: string): Resource[] {
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
  return parseManifests(text, file === '-' ? 'stdin' : file) as Resource[]
}

export function registerApply(program: Command): void {
  program.command('apply')
    .description('create or update resources from a YAML or JSON manifest (several documents allowed)')
    .requiredOption('-f, --filename <file>', 'manifest file, or - for stdin')
    .action(async (opts: { filename: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const docs = readManifestArg(opts.filename)
      if (!docs.length) throw new Error(`${opts.filename}: no documents`)
      let failed = 0
      for (const doc of docs) {
        const d = doc as Resource
        if (flags.namespace && d.metadata && kindInfo(d.kind)?.namespaced && !d.metadata.namespace) d.metadata.namespace = flags.namespace
        try {
          const { obj, action } = await client.apply(d)
          process.stdout.write(`${obj.kind.toLowerCase()}/${obj.metadata.name} ${action}\n`)
        } catch (err) {
          failed++
          process.stderr.write(`${formatError(err)}\n`)
        }
      }
      if (failed) process.exitCode = 1
    })
}
