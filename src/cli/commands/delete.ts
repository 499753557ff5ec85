import type { Command } from 'commander'
import { kindInfo } from '../../api/kinds/index.js'
import { clientFrom, formatError, type GlobalFlags } from '../context.js'
import { targets as parseTargets } from './get.js'
import { readManifestArg } from './apply.js'

export function registerDelete(program: Command): void {
  program.command('delete')
    .description('delete a resource by kind and name, or everything in a manifest (-f)')
    .argument('[kind]')
    .argument('[name]')
    .option('-f, --filename <file>', 'delete the resources this manifest declares')
    .action(async (kind: string | undefined, name: string | undefined, opts: { filename?: string }, cmd: Command) => {
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const client = clientFrom(flags)
      const targets: { kind: string; namespace?: string; name: string }[] = []
      if (opts.filename) {
        for (const d of readManifestArg(opts.filename)) {
          const k = kindInfo(d.kind)
          if (!k || k.internal) throw new Error(`unknown kind "${d.kind}" in ${opts.filename}`)
          targets.push({ kind: d.kind, namespace: k.namespaced ? d.metadata?.namespace ?? flags.namespace : undefined, name: d.metadata?.name })
        }
      } else {
        if (!kind) throw new Error('delete needs KIND NAME, or -f FILE')
        for (const t of parseTargets(kind, name)) {
          if (!t.name) throw new Error('delete needs KIND NAME (or KIND/NAME), or -f FILE')
          targets.push({ kind: t.k.kind, namespace: flags.namespace, name: t.name })
        }
      }
      let failed = 0
      for (const t of targets) {
        try {
          await client.delete(kindInfo(t.kind)!, t.namespace, t.name)
          process.stdout.write(`${t.kind.toLowerCase()}/${t.name} deleted\n`)
        } catch (err) {
          failed++
          process.stderr.write(`${formatError(err)}\n`)
        }
      }
      if (failed) process.exitCode = 1
    })
}
