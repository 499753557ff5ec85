import type { Command } from 'commander'
import type { Resource } from '../../api/meta.js'
import { clientFrom, type GlobalFlags } from '../context.js'
import { kindOrThrow } from '../resource-client.js'
import { toYaml } from '../output.js'
import { printTable } from '../printers.js'

export function printResources(items: Resource[], kind: string, output: string, namespaced: boolean, allNamespaces: boolean): string {
  if (output === 'json') return JSON.stringify({ items }, null, 2) + '\n'
  if (output === 'yaml') return toYaml({ items })
  return printTable(items, kind, { wide: output === 'wide', withNamespace: namespaced && allNamespaces })
}

export function registerGet(program: Command): void {
  program.command('get')
    .description('list resources of a kind, or show one')
    .argument('<kind>', 'sites, nodes, apps, instances, events (singular and short names work too)')
    .argument('[name]', 'one resource by name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=edge')
    .option('--field-selector <selector>', 'field selector, e.g. spec.site=paris')
    .option('-o, --output <format>', 'table, wide, json or yaml', 'table')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .action(async (kind: string, name: string | undefined, opts: { selector?: string; fieldSelector?: string; output: string; allNamespaces?: boolean }, cmd: Command) => {
      if (!['table', 'wide', 'json', 'yaml'].includes(opts.output)) throw new Error(`-o ${opts.output}: use table, wide, json or yaml`)
      const flags = cmd.optsWithGlobals() as GlobalFlags
      const k = kindOrThrow(kind)
      const client = clientFrom(flags)
      if (name) {
        const obj = await client.get(k, flags.namespace, name)
        if (opts.output === 'json') process.stdout.write(JSON.stringify(obj, null, 2) + '\n')
        else if (opts.output === 'yaml') process.stdout.write(toYaml(obj))
        else process.stdout.write(printResources([obj], k.kind, opts.output, k.namespaced, false))
        return
      }
      const { items } = await client.list(k, { namespace: flags.namespace, allNamespaces: opts.allNamespaces, labelSelector: opts.selector, fieldSelector: opts.fieldSelector })
      if (!items.length && (opts.output === 'table' || opts.output === 'wide')) {
        process.stderr.write(`No ${k.plural} found${k.namespaced && !opts.allNamespaces ? ` in namespace ${flags.namespace ?? 'default'}` : ''}.\n`)
        return
      }
      if (k.kind === 'Event') items.sort((a, b) => Date.parse(String((a as { lastTimestamp?: string }).lastTimestamp)) - Date.parse(String((b as { lastTimestamp?: string }).lastTimestamp)))
      process.stdout.write(printResources(items, k.kind, opts.output, k.namespaced, !!opts.allNamespaces))
    })
}
